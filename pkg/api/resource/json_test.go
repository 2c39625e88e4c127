package resource

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// container is a struct like the ones the api package builds on Quantity.
type container struct {
	Name    string              `json:"name"`
	CPU     Quantity            `json:"cpu"`
	Memory  *Quantity           `json:"memory,omitempty"`
	Storage Quantity            `json:"storage,omitzero"`
	Limits  map[string]Quantity `json:"limits,omitempty"`
}

func TestJSONRoundTrip(t *testing.T) {
	mem := MustParse("1.5Gi")
	tests := []struct {
		name string
		in   container
		want string
	}{
		{
			name: "all fields",
			in: container{
				Name:    "app",
				CPU:     MustParse("0.5"),
				Memory:  &mem,
				Storage: MustParse("10G"),
				Limits:  map[string]Quantity{"cpu": MustParse("2"), "memory": MustParse("2048Mi"), "pods": MustParse("1e3")},
			},
			want: `{"name":"app","cpu":"500m","memory":"1536Mi","storage":"10G","limits":{"cpu":"2","memory":"2Gi","pods":"1e3"}}`,
		},
		{
			name: "zero values",
			in:   container{Name: "empty"},
			want: `{"name":"empty","cpu":"0"}`,
		},
		{
			name: "negative and tiny",
			in:   container{CPU: MustParse("-100m"), Limits: map[string]Quantity{"x": MustParse("0.1n")}},
			want: `{"name":"","cpu":"-100m","limits":{"x":"1n"}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(data)); diff != "" {
				t.Errorf("Marshal (-want +got):\n%s", diff)
			}
			var got container
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.in, got); diff != "" {
				t.Errorf("Unmarshal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want parsed
	}{
		{"string", `"100m"`, parsed{"100000000", DecimalSI, "100m"}},
		{"binary string", `"1Gi"`, parsed{"1073741824000000000", BinarySI, "1Gi"}},
		{"integer", `2`, parsed{"2000000000", DecimalSI, "2"}},
		{"negative integer", `-1`, parsed{"-1000000000", DecimalSI, "-1"}},
		{"fraction", `0.5`, parsed{"500000000", DecimalSI, "500m"}},
		{"exponent", `1e3`, parsed{"1000000000000", DecimalExponent, "1e3"}},
		{"exponent with sign", `1.5E+3`, parsed{"1500000000000", DecimalExponent, "1500"}},
		{"spaces in string", `" 1 "`, parsed{"1000000000", DecimalSI, "1"}},
		{"escaped string", `"1\u0030"`, parsed{"10000000000", DecimalSI, "10"}},
		{"null", `null`, parsed{"0", "", "0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := MustParse("7Ki") // null must reset it
			if err := json.Unmarshal([]byte(tc.in), &q); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, inspect(q)); diff != "" {
				t.Errorf("Unmarshal(%s) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestUnmarshalJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"bad string", `"abc"`, ErrFormatWrong},
		{"empty string", `""`, ErrFormatWrong},
		{"string null", `"null"`, ErrFormatWrong},
		{"bool", `true`, ErrFormatWrong},
		{"object", `{}`, ErrFormatWrong},
		{"bad suffix", `"1K"`, ErrSuffix},
		{"out of range", `"1e100000000"`, ErrNumeric},
		{"number out of range", `1e400`, ErrNumeric},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c container
			err := json.Unmarshal([]byte(`{"cpu":`+tc.in+`}`), &c)
			if !errors.Is(err, tc.want) {
				t.Errorf("Unmarshal(%s) = %v, want error %v", tc.in, err, tc.want)
			}
		})
	}
}

func TestUnmarshalJSONNullPointer(t *testing.T) {
	mem := MustParse("1Gi")
	c := container{Memory: &mem}
	if err := json.Unmarshal([]byte(`{"memory":null}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Memory != nil {
		t.Errorf("Memory = %v, want nil", c.Memory)
	}
}
