package resource

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQuantityString(t *testing.T) {
	tests := []struct {
		name string
		q    Quantity
		want string
	}{
		{"zero value", Quantity{}, "0"},
		{"zero BinarySI", NewQuantity(0, BinarySI), "0"},
		{"DecimalSI", NewQuantity(1, DecimalSI), "1"},
		{"DecimalSI thousands", NewQuantity(1000, DecimalSI), "1k"},
		{"DecimalSI mantissa", NewQuantity(1234000, DecimalSI), "1234k"},
		{"BinarySI 1024", NewQuantity(1024, BinarySI), "1Ki"},
		{"BinarySI 2^20", NewQuantity(1024*1024, BinarySI), "1Mi"},
		{"BinarySI below 1024 prints decimal", NewQuantity(1000, BinarySI), "1k"},
		{"BinarySI without binary factor", NewQuantity(2000, BinarySI), "2000"},
		{"BinarySI 1025", NewQuantity(1025, BinarySI), "1025"},
		{"BinarySI 300Mi", NewQuantity(300*1024*1024, BinarySI), "300Mi"},
		{"BinarySI 1001Gi", NewQuantity(1001*1024*1024*1024, BinarySI), "1001Gi"},
		{"BinarySI negative", NewQuantity(-2048, BinarySI), "-2Ki"},
		{"BinarySI fraction", NewMilliQuantity(1234567, BinarySI), "1234567m"},
		{"unknown format prints exponent", NewQuantity(1000000, "invalid"), "1e6"},
		{"empty format prints exponent", NewQuantity(1000, ""), "1e3"},
		{"DecimalExponent", NewQuantity(300000000, DecimalExponent), "300e6"},
		{"DecimalExponent fraction", NewMilliQuantity(80, DecimalExponent), "80e-3"},
		{"DecimalExponent nano", NewScaledQuantity(1, Nano), "1n"},
		{"min int64", NewQuantity(math.MinInt64, DecimalSI), "-9223372036854775808"},
		{"milli", NewMilliQuantity(1, DecimalSI), "1m"},
		{"milli whole", NewMilliQuantity(1000, DecimalSI), "1"},
		{"milli thousands", NewMilliQuantity(1234000, DecimalSI), "1234"},
		{"milli BinarySI", NewMilliQuantity(1024, BinarySI), "1024m"},
		{"milli BinarySI large", NewMilliQuantity(1024*1024, BinarySI), "1048576m"},
		{"milli unknown format", NewMilliQuantity(1000000, "invalid"), "1e3"},
		{"scaled nano", NewScaledQuantity(1000, Nano), "1u"},
		{"scaled micro", NewScaledQuantity(1000, Micro), "1m"},
		{"scaled milli", NewScaledQuantity(1000, Milli), "1"},
		{"scaled giga", NewScaledQuantity(5, Giga), "5G"},
		{"scaled exa", NewScaledQuantity(1000, Exa), "1e21"},
		{"scaled zero", NewScaledQuantity(0, Nano), "0"},
		{"scaled below nano rounds up", NewScaledQuantity(1, -12), "1n"},
		{"scaled below nano rounds away from zero", NewScaledQuantity(-1001, -12), "-2n"},
		{"scaled far below nano", NewScaledQuantity(7, math.MinInt32), "1n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.q.String()); diff != "" {
				t.Errorf("String() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQuantityStringViaFmt(t *testing.T) {
	q := MustParse("1.5Gi")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"value", fmt.Sprint(q), "1536Mi"},
		{"pointer", fmt.Sprint(&q), "1536Mi"},
		{"verb v", fmt.Sprintf("%v", q), "1536Mi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
