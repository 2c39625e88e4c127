package apibench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Print writes a table with one column per server, then every figure as a line
// `BENCH <name> <value> <unit>` (prefixed by the server when there are several).
func Print(w io.Writer, results []*Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{"figure", "unit"}
	for _, r := range results {
		header = append(header, r.Target)
	}
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	var order []string
	units := map[string]string{}
	values := map[string]map[string]float64{}
	for _, r := range results {
		for _, f := range r.Figures {
			if _, ok := units[f.Name]; !ok {
				order = append(order, f.Name)
				units[f.Name] = f.Unit
				values[f.Name] = map[string]float64{}
			}
			values[f.Name][r.Target] = f.Value
		}
	}
	for _, name := range order {
		row := []string{name, units[name]}
		for _, r := range results {
			if v, ok := values[name][r.Target]; ok {
				row = append(row, fmt.Sprintf("%.1f", v))
			} else {
				row = append(row, "-")
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range results {
		prefix := ""
		if len(results) > 1 {
			prefix = r.Target + "/"
		}
		for _, f := range r.Figures {
			fmt.Fprintf(w, "BENCH %s%s %.2f %s\n", prefix, f.Name, f.Value, f.Unit)
		}
	}
}
