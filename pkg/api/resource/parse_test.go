package resource

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parsed is what a test sees of a Quantity: its exact value in nanos, its
// Format and its canonical string.
type parsed struct {
	Nanos  string
	Format Format
	String string
}

func inspect(q Quantity) parsed {
	return parsed{Nanos: q.amount().String(), Format: q.Format, String: q.String()}
}

func TestParseQuantity(t *testing.T) {
	const maxInt64Nanos = "9223372036854775807000000000"
	tests := []struct {
		in   string
		want parsed
	}{
		// Zero, in every format.
		{"0", parsed{"0", DecimalSI, "0"}},
		{"0n", parsed{"0", DecimalSI, "0"}},
		{"0m", parsed{"0", DecimalSI, "0"}},
		{"-0", parsed{"0", DecimalSI, "0"}},
		{"0Ki", parsed{"0", BinarySI, "0"}},
		{"0Mi", parsed{"0", BinarySI, "0"}},
		{"0e3", parsed{"0", DecimalExponent, "0"}},
		{"0.000", parsed{"0", DecimalSI, "0"}},

		// Decimal SI suffixes.
		{"1", parsed{"1000000000", DecimalSI, "1"}},
		{"5n", parsed{"5", DecimalSI, "5n"}},
		{"4u", parsed{"4000", DecimalSI, "4u"}},
		{"3m", parsed{"3000000", DecimalSI, "3m"}},
		{"100m", parsed{"100000000", DecimalSI, "100m"}},
		{"8k", parsed{"8000000000000", DecimalSI, "8k"}},
		{"50k", parsed{"50000000000000", DecimalSI, "50k"}},
		{"7M", parsed{"7000000000000000", DecimalSI, "7M"}},
		{"1G", parsed{"1000000000000000000", DecimalSI, "1G"}},
		{"5T", parsed{"5000000000000000000000", DecimalSI, "5T"}},
		{"300T", parsed{"300000000000000000000000", DecimalSI, "300T"}},
		{"2P", parsed{"2000000000000000000000000", DecimalSI, "2P"}},
		{"1E", parsed{"1000000000000000000000000000", DecimalSI, "1E"}},
		{"12E", parsed{"12000000000000000000000000000", DecimalSI, "12E"}},

		// Binary suffixes.
		{"1Ki", parsed{"1024000000000", BinarySI, "1Ki"}},
		{"8Ki", parsed{"8192000000000", BinarySI, "8Ki"}},
		{"64Mi", parsed{"67108864000000000", BinarySI, "64Mi"}},
		{"6Gi", parsed{"6442450944000000000", BinarySI, "6Gi"}},
		{"5Ti", parsed{"5497558138880000000000", BinarySI, "5Ti"}},
		{"4Pi", parsed{"4503599627370496000000000", BinarySI, "4Pi"}},
		{"3Ei", parsed{"3458764513820540928000000000", BinarySI, "3Ei"}},

		// Decimal exponents.
		{"1e3", parsed{"1000000000000", DecimalExponent, "1e3"}},
		{"1E3", parsed{"1000000000000", DecimalExponent, "1e3"}},
		{"1e+3", parsed{"1000000000000", DecimalExponent, "1e3"}},
		{"1E-3", parsed{"1000000", DecimalExponent, "1e-3"}},
		{"12e6", parsed{"12000000000000000", DecimalExponent, "12e6"}},
		{"1e13", parsed{"10000000000000000000000", DecimalExponent, "10e12"}},
		{"1e14", parsed{"100000000000000000000000", DecimalExponent, "100e12"}},
		{"1e0", parsed{"1000000000", DecimalExponent, "1"}},
		{"1.5e3", parsed{"1500000000000", DecimalExponent, "1500"}},
		{"1.2e3", parsed{"1200000000000", DecimalExponent, "1200"}},
		{"1.3E+6", parsed{"1300000000000000", DecimalExponent, "1300e3"}},
		{"1.7E18", parsed{"1700000000000000000000000000", DecimalExponent, "1700e15"}},
		{"0.5e0", parsed{"500000000", DecimalExponent, "500e-3"}},
		{"0.5e-2", parsed{"5000000", DecimalExponent, "5e-3"}},

		// Canonical form: largest multiple-of-three exponent, integer mantissa.
		{"1.5", parsed{"1500000000", DecimalSI, "1500m"}},
		{"0.5", parsed{"500000000", DecimalSI, "500m"}},
		{"1000", parsed{"1000000000000", DecimalSI, "1k"}},
		{"1500", parsed{"1500000000000", DecimalSI, "1500"}},
		{"1024", parsed{"1024000000000", DecimalSI, "1024"}},
		{"1000m", parsed{"1000000000", DecimalSI, "1"}},
		{"1000M", parsed{"1000000000000000000", DecimalSI, "1G"}},
		{"9.01", parsed{"9010000000", DecimalSI, "9010m"}},
		{"8.1k", parsed{"8100000000000", DecimalSI, "8100"}},
		{"100.035k", parsed{"100035000000000", DecimalSI, "100035"}},
		{"10.035M", parsed{"10035000000000000", DecimalSI, "10035k"}},
		{"5.444T", parsed{"5444000000000000000000", DecimalSI, "5444G"}},
		{"1.01E", parsed{"1010000000000000000000000000", DecimalSI, "1010P"}},
		{"0.0005k", parsed{"500000000", DecimalSI, "500m"}},
		{"-100m", parsed{"-100000000", DecimalSI, "-100m"}},
		{"-1.5", parsed{"-1500000000", DecimalSI, "-1500m"}},
		{"100000000000000000000", parsed{"100000000000000000000000000000", DecimalSI, "100E"}},
		// DecimalSI has no suffix past E, so it falls back to an exponent.
		{"1000E", parsed{"1000000000000000000000000000000", DecimalSI, "1e21"}},
		{"1e21", parsed{"1000000000000000000000000000000", DecimalExponent, "1e21"}},

		// BinarySI prints a binary suffix only for integers of 1024 or more.
		{"1.5Gi", parsed{"1610612736000000000", BinarySI, "1536Mi"}},
		{"2048Ki", parsed{"2097152000000000", BinarySI, "2Mi"}},
		{"1024Mi", parsed{"1073741824000000000", BinarySI, "1Gi"}},
		{"1025Ki", parsed{"1049600000000000", BinarySI, "1025Ki"}},
		{"0.5Mi", parsed{"524288000000000", BinarySI, "512Ki"}},
		{"0.5Ki", parsed{"512000000000", BinarySI, "512"}},
		{"1.5Ki", parsed{"1536000000000", BinarySI, "1536"}},
		{"1.953125Ki", parsed{"2000000000000", BinarySI, "2000"}},
		{"100.035Ki", parsed{"102435840000000", BinarySI, "102435840m"}},
		{".001Ki", parsed{"1024000000", BinarySI, "1024m"}},
		{".000001Ki", parsed{"1024000", DecimalSI, "1024u"}},
		{".000000001Ki", parsed{"1024", DecimalSI, "1024n"}},
		{"-1.5Gi", parsed{"-1610612736000000000", BinarySI, "-1536Mi"}},

		// Values finer than a nano round away from zero.
		{"1.1n", parsed{"2", DecimalSI, "2n"}},
		{"0.1n", parsed{"1", DecimalSI, "1n"}},
		{"0.9n", parsed{"1", DecimalSI, "1n"}},
		{"3.001n", parsed{"4", DecimalSI, "4n"}},
		{"-0.1n", parsed{"-1", DecimalSI, "-1n"}},
		{"0.0000000001", parsed{"1", DecimalSI, "1n"}},
		{"0.00000012345", parsed{"124", DecimalSI, "124n"}},
		{"1.1E-9", parsed{"2", DecimalExponent, "2e-9"}},
		{"0.5e-9", parsed{"1", DecimalExponent, "1e-9"}},
		{"1e-100000000", parsed{"1", DecimalExponent, "1e-9"}},
		{"1e-2147483648", parsed{"1", DecimalExponent, "1e-9"}},
		// A BinarySI fraction of 1 becomes DecimalSI.
		{"0.000000000001Ki", parsed{"2", DecimalSI, "2n"}},

		// BinarySI is capped at 2^63-1, silently.
		{"8Ei", parsed{maxInt64Nanos, BinarySI, "9223372036854775807"}},
		{"9Ei", parsed{maxInt64Nanos, BinarySI, "9223372036854775807"}},
		{"9223372036854775807Ki", parsed{maxInt64Nanos, BinarySI, "9223372036854775807"}},
		{"1" + strings.Repeat("0", 200) + "Ki", parsed{maxInt64Nanos, BinarySI, "9223372036854775807"}},
		{"-9Ei", parsed{"-" + maxInt64Nanos, BinarySI, "-9223372036854775807"}},

		// Odd but valid spellings.
		{"+1", parsed{"1000000000", DecimalSI, "1"}},
		{"01", parsed{"1000000000", DecimalSI, "1"}},
		{".5", parsed{"500000000", DecimalSI, "500m"}},
		{".001", parsed{"1000000", DecimalSI, "1m"}},
		{"1.", parsed{"1000000000", DecimalSI, "1"}},
		{"1.G", parsed{"1000000000000000000", DecimalSI, "1G"}},
		{"1.500k", parsed{"1500000000000", DecimalSI, "1500"}},
		{"0e100000000", parsed{"0", DecimalExponent, "0"}},
		{"1e99", parsed{"1" + strings.Repeat("0", 108), DecimalExponent, "1e99"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			q, err := ParseQuantity(tc.in)
			if err != nil {
				t.Fatalf("ParseQuantity(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, inspect(q)); diff != "" {
				t.Errorf("ParseQuantity(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseQuantityErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrFormatWrong},
		{"two points", "1.2.3", ErrFormatWrong},
		{"two points and suffix", "1.1.M", ErrFormatWrong},
		{"letters", "abc", ErrFormatWrong},
		{"double sign", "--1", ErrFormatWrong},
		{"suffix only", "Mi", ErrFormatWrong},
		{"point only", ".", ErrFormatWrong},
		{"sign only", "-", ErrFormatWrong},
		{"leading space", " 1", ErrFormatWrong},
		{"trailing space", "1 ", ErrFormatWrong},
		{"sum", "1+1.0M", ErrFormatWrong},
		{"letter after exponent", "1e3m", ErrFormatWrong},
		{"hexadecimal", "0x10", ErrFormatWrong},
		{"underscore", "1_000", ErrFormatWrong},
		{"non-ASCII digit", "١", ErrFormatWrong},
		{"unknown binary suffix", "1Kii", ErrSuffix},
		{"lowercase binary suffix", "0.1mi", ErrSuffix},
		{"capital K", "1K", ErrSuffix},
		{"i alone", "1i", ErrSuffix},
		{"fraction with i", ".5i", ErrSuffix},
		{"a suffix", "0.1am", ErrFormatWrong},
		{"e without exponent", "1e", ErrSuffix},
		{"e with sign only", "-3.01e-", ErrSuffix},
		{"two suffixes", "1kk", ErrSuffix},
		{"digits after SI suffix", "1k3", ErrSuffix},
		{"huge exponent", "1e100000000", ErrNumeric},
		{"exponent past int32", "1e2147483648", ErrNumeric},
		{"exponent past int64", "1e99999999999999999999", ErrNumeric},
		{"10^100", "1e100", ErrNumeric},
		{"101 digits", "1" + strings.Repeat("0", 100), ErrNumeric},
		{"rounds up to 10^100", strings.Repeat("9", 100) + "." + strings.Repeat("9", 10), ErrNumeric},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ParseQuantity(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseQuantity(%q) = %v, %v; want error %v", tc.in, q, err, tc.want)
			}
		})
	}
}

func TestParseQuantityLongInput(t *testing.T) {
	// Long inputs cost time in proportion to their length, not to their value.
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"many leading zeros", "0." + strings.Repeat("0", 100000) + "1", "1n"},
		{"many fraction digits", "1." + strings.Repeat("0", 100000) + "1", "1000000001n"},
		{"many digits, tiny exponent", strings.Repeat("7", 100000) + "e-100000", "777777778e-9"},
		{"many binary digits", "0." + strings.Repeat("3", 100000) + "Ki", "341333333334n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ParseQuantity(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, q.String()); diff != "" {
				t.Errorf("String() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		err, _ := recover().(error)
		if !errors.Is(err, ErrFormatWrong) {
			t.Errorf("MustParse panicked with %v, want ErrFormatWrong", err)
		}
	}()
	MustParse("not a quantity")
}
