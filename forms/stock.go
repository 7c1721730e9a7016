package forms

import (
	"slices"
	"strings"
)

// KindStockLevel is the event kind of a stock count of a critical
// medicine at a location; payload StockLevel, subject "stock:<item>@<location>".
const KindStockLevel = "stock.level"

// StockLevel is the payload of stock.level: a count of one critical
// medicine at one location, with the level below which more must be got.
// Quantity and Minimum are in Unit.
type StockLevel struct {
	Item     string   `json:"item"`     // e.g. "Insulin aspart 100 units/ml 3 ml cartridge"
	Location string   `json:"location"` // pharmacy, ward, emergency cupboard
	Quantity Quantity `json:"quantity"`
	Unit     string   `json:"unit"`
	Minimum  Quantity `json:"minimum"`
}

// BelowMinimum reports whether the count is under the minimum (a count
// equal to the minimum is not below it).
func (s StockLevel) BelowMinimum() bool { return s.Quantity < s.Minimum }

// Validate lists what is wrong with s.
func (s StockLevel) Validate() Problems {
	var ps Problems
	req := func(field, v, msg string) {
		if strings.TrimSpace(v) == "" {
			ps = append(ps, Problem{Field: field, Message: msg})
		}
	}
	req("item", s.Item, "enter the item")
	req("location", s.Location, "enter where it is kept")
	req("unit", s.Unit, "enter the unit")
	if s.Quantity < 0 {
		ps = append(ps, Problem{Field: "quantity", Message: "a count cannot be negative"})
	}
	if s.Minimum < 0 {
		ps = append(ps, Problem{Field: "minimum", Message: "a minimum cannot be negative"})
	}
	return ps
}

// StockList returns the latest count of each item at each location from
// levels (in recorded order: a later count replaces an earlier one; item
// and location match ignoring case and spacing), items below minimum
// first, then by item and location.
func StockList(levels []StockLevel) []StockLevel {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	latest := map[[2]string]int{}
	var keys [][2]string
	for i, s := range levels {
		k := [2]string{norm(s.Item), norm(s.Location)}
		if _, ok := latest[k]; !ok {
			keys = append(keys, k)
		}
		latest[k] = i
	}
	out := make([]StockLevel, 0, len(keys))
	for _, k := range keys {
		out = append(out, levels[latest[k]])
	}
	slices.SortStableFunc(out, func(a, b StockLevel) int {
		if a.BelowMinimum() != b.BelowMinimum() {
			return boolFirst(a.BelowMinimum())
		}
		return cmpStrings(norm(a.Item), norm(b.Item), norm(a.Location), norm(b.Location))
	})
	return out
}
