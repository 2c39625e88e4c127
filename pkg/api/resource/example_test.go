package resource_test

import (
	"fmt"

	"skiff/pkg/api/resource"
)

func ExampleParseQuantity() {
	for _, s := range []string{"0.5", "1.5Gi", "2048Ki", "1000", "1e3", "0.1n"} {
		q, err := resource.ParseQuantity(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-6s prints %-6s milli %d\n", s, q, q.MilliValue())
	}
	// Output:
	// 0.5    prints 500m   milli 500
	// 1.5Gi  prints 1536Mi milli 1610612736000
	// 2048Ki prints 2Mi    milli 2097152000
	// 1000   prints 1k     milli 1000000
	// 1e3    prints 1e3    milli 1000000
	// 0.1n   prints 1n     milli 1
}

func ExampleQuantity_Add() {
	var requested resource.Quantity // zero, takes the format of what is added
	for _, s := range []string{"250m", "500m", "1.25"} {
		requested.Add(resource.MustParse(s))
	}
	allocatable := resource.MustParse("2")
	fmt.Println(requested, requested.Cmp(allocatable) <= 0)
	// Output: 2 true
}
