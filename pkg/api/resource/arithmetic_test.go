package resource

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddSub(t *testing.T) {
	tests := []struct {
		name    string
		a, b    Quantity
		wantAdd string
		wantSub string
	}{
		{"same format", MustParse("10"), MustParse("1e1"), "20", "0"},
		{"keeps receiver format", MustParse("10"), MustParse("1Ki"), "1034", "-1014"},
		{"binary receiver", MustParse("1Gi"), MustParse("1Gi"), "2Gi", "0"},
		{"binary receiver, decimal operand", MustParse("10Ki"), MustParse("1k"), "11240", "9240"},
		{"millicores", MustParse("100m"), MustParse("1.5"), "1600m", "-1400m"},
		{"zero receiver takes operand format", Quantity{}, MustParse("1Gi"), "1Gi", "-1Gi"},
		{"zero receiver, decimal operand", MustParse("0"), MustParse("100m"), "100m", "-100m"},
		{"zero operand keeps format", MustParse("100m"), MustParse("0"), "100m", "100m"},
		{"zero value operand", MustParse("1Gi"), Quantity{}, "1Gi", "1Gi"},
		{"both zero", Quantity{}, Quantity{}, "0", "0"},
		{"nanos", MustParse("1n"), MustParse("2n"), "3n", "-1n"},
		{"past int64", MustParse("9223372036854775807"), MustParse("1"), "9223372036854775808", "9223372036854775806"},
		{"past Ei", MustParse("4Ei"), MustParse("4Ei"), "8Ei", "0"},
		{"past E", MustParse("999E"), MustParse("1E"), "1e21", "998E"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.a.DeepCopy()
			a.Add(tc.b)
			s := tc.a.DeepCopy()
			s.Sub(tc.b)
			got := []string{a.String(), s.String()}
			if diff := cmp.Diff([]string{tc.wantAdd, tc.wantSub}, got); diff != "" {
				t.Errorf("Add and Sub (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddDoesNotAlias(t *testing.T) {
	a := MustParse("1")
	b := a // shares the amount
	b.Add(MustParse("1"))
	c := b
	c.Neg()
	got := []string{a.String(), b.String(), c.String()}
	if diff := cmp.Diff([]string{"1", "2", "-2"}, got); diff != "" {
		t.Errorf("copies changed together (-want +got):\n%s", diff)
	}
}

func TestNeg(t *testing.T) {
	tests := []struct {
		in   Quantity
		want string
	}{
		{MustParse("9.01"), "-9010m"},
		{MustParse("-10Ki"), "10Ki"},
		{MustParse("0"), "0"},
		{Quantity{}, "0"},
		{NewQuantity(math.MinInt64, DecimalSI), "9223372036854775808"},
	}
	for _, tc := range tests {
		t.Run(tc.in.String(), func(t *testing.T) {
			q := tc.in
			q.Neg()
			if diff := cmp.Diff(tc.want, q.String()); diff != "" {
				t.Errorf("Neg (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCmp(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"0", "0", 0},
		{"100m", "50m", 1},
		{"50m", "100m", -1},
		{"10000T", "100Gi", 1},
		{"1Ki", "1024", 0},
		{"1k", "1Ki", -1},
		{"1e3", "1k", 0},
		{"-1", "0", -1},
		{"-1n", "-2n", 1},
		{"1E", "1Ei", -1},
		{"0Mi", "0m", 0},
	}
	for _, tc := range tests {
		t.Run(tc.a+" vs "+tc.b, func(t *testing.T) {
			a, b := MustParse(tc.a), MustParse(tc.b)
			got := []int{a.Cmp(b), b.Cmp(a)}
			if diff := cmp.Diff([]int{tc.want, -tc.want}, got); diff != "" {
				t.Errorf("Cmp both ways (-want +got):\n%s", diff)
			}
			if eq := a.Equal(b); eq != (tc.want == 0) {
				t.Errorf("Equal = %v, want %v", eq, tc.want == 0)
			}
		})
	}
}

func TestZeroValue(t *testing.T) {
	type facts struct {
		String            string
		IsZero            bool
		Sign              int
		Value, MilliValue int64
		EqualsParsedZero  bool
	}
	var q Quantity
	got := facts{q.String(), q.IsZero(), q.Sign(), q.Value(), q.MilliValue(), q.Equal(MustParse("0"))}
	want := facts{String: "0", IsZero: true, EqualsParsedZero: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zero value (-want +got):\n%s", diff)
	}
}

func TestSign(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0", 0},
		{"-0", 0},
		{"1n", 1},
		{"-1n", -1},
		{"8Ei", 1},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := MustParse(tc.in).Sign(); got != tc.want {
				t.Errorf("Sign() = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestValues(t *testing.T) {
	type values struct{ Value, Milli int64 }
	tests := []struct {
		in   string
		want values
	}{
		{"0", values{0, 0}},
		{"1", values{1, 1000}},
		{"100m", values{1, 100}},
		{"1.5", values{2, 1500}},
		{"-1.5", values{-2, -1500}},
		{"1n", values{1, 1}},
		{"-1n", values{-1, -1}},
		{"1001u", values{1, 2}},
		{"64Mi", values{67108864, 67108864000}},
		{"1G", values{1000000000, 1000000000000}},
		{"9223372036854775807", values{math.MaxInt64, math.MaxInt64}},
		{"9223372036854775807m", values{9223372036854776, math.MaxInt64}},
		{"-9223372036854775808", values{math.MinInt64, math.MinInt64}},
		{"9223372036854775808", values{math.MaxInt64, math.MaxInt64}},
		{"-9223372036854775809", values{math.MinInt64, math.MinInt64}},
		{"1e21", values{math.MaxInt64, math.MaxInt64}},
		{"-1e21", values{math.MinInt64, math.MinInt64}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			q := MustParse(tc.in)
			if diff := cmp.Diff(tc.want, values{q.Value(), q.MilliValue()}); diff != "" {
				t.Errorf("Value and MilliValue (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScaledValue(t *testing.T) {
	tests := []struct {
		name  string
		q     Quantity
		scale Scale
		want  int64
	}{
		{"nano to nano", NewScaledQuantity(1, Nano), Nano, 1},
		{"nano to micro", NewScaledQuantity(1, Nano), Micro, 1},
		{"nano to one", NewScaledQuantity(1, Nano), 0, 1},
		{"micro to nano", NewScaledQuantity(1, Micro), Nano, 1000},
		{"milli to nano", NewScaledQuantity(1, Milli), Nano, 1000000},
		{"one to nano", NewScaledQuantity(1, 0), Nano, 1000000000},
		{"one to milli", NewScaledQuantity(1, 0), Milli, 1000},
		{"hundred to centi", NewScaledQuantity(1, 2), -2, 10000},
		{"giga to mega", MustParse("1G"), Mega, 1000},
		{"round up to mega", MustParse("1500001"), Mega, 2},
		{"round away from zero", MustParse("-1500001"), Mega, -2},
		{"far above", MustParse("1"), math.MaxInt32, 1},
		{"far below", MustParse("1"), math.MinInt32, math.MaxInt64},
		{"far below negative", MustParse("-1n"), math.MinInt32, math.MinInt64},
		{"zero far below", MustParse("0"), math.MinInt32, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q.ScaledValue(tc.scale); got != tc.want {
				t.Errorf("ScaledValue(%d) of %v = %d, want %d", tc.scale, tc.q, got, tc.want)
			}
		})
	}
}

func TestEqualWithCmp(t *testing.T) {
	type limits struct {
		CPU    Quantity
		Memory *Quantity
	}
	mem := MustParse("1Gi")
	want := limits{CPU: MustParse("500m"), Memory: &mem}
	memDecimal := MustParse("1073741824")
	got := limits{CPU: MustParse("0.5"), Memory: &memDecimal}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("equal values differ (-want +got):\n%s", diff)
	}
	got.CPU = MustParse("501m")
	if cmp.Equal(want, got) {
		t.Errorf("cmp.Equal(%v, %v) = true, want false", want.CPU, got.CPU)
	}
}
