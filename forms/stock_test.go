package forms

import (
	"fmt"
	"strings"
	"testing"
)

func TestStockLevel_BelowMinimum(t *testing.T) {
	tests := []struct {
		qty, min string
		want     bool
	}{
		{"0", "0", false}, {"4", "5", true}, {"5", "5", false}, {"4.999", "5", true}, {"6", "5", false},
	}
	for _, tt := range tests {
		s := StockLevel{Quantity: MustQuantity(tt.qty), Minimum: MustQuantity(tt.min)}
		if got := s.BelowMinimum(); got != tt.want {
			t.Errorf("StockLevel{%s, min %s}.BelowMinimum() = %v, want %v", tt.qty, tt.min, got, tt.want)
		}
	}
}

func TestStockLevel_Validate(t *testing.T) {
	if got := problemList(StockLevel{Quantity: -1, Minimum: -1}.Validate()); got != "item,location,unit,quantity,minimum" {
		t.Errorf("Validate() = %q, want item,location,unit,quantity,minimum", got)
	}
	if got := (StockLevel{Item: "Naloxone 400 microgram/ml", Location: "ED", Unit: "ampoules", Quantity: Units(10), Minimum: Units(5)}).Validate(); len(got) != 0 {
		t.Errorf("Validate() = %v, want none", got)
	}
}

func TestStockList(t *testing.T) {
	lv := func(item, loc, qty, min string) StockLevel {
		return StockLevel{Item: item, Location: loc, Quantity: MustQuantity(qty), Minimum: MustQuantity(min), Unit: "packs"}
	}
	levels := []StockLevel{
		lv("Insulin aspart", "Pharmacy", "20", "10"),
		lv("Naloxone", "ED", "3", "5"),
		lv("Adrenaline 1 mg/ml", "ED", "12", "10"),
		lv("insulin  ASPART", "pharmacy", "8", "10"), // later count, same item
		lv("Naloxone", "Pharmacy", "30", "5"),
	}
	var got []string
	for _, s := range StockList(levels) {
		got = append(got, fmt.Sprintf("%s@%s=%s", s.Item, s.Location, s.Quantity))
	}
	want := "insulin  ASPART@pharmacy=8 Naloxone@ED=3 Adrenaline 1 mg/ml@ED=12 Naloxone@Pharmacy=30"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("StockList() = %q, want %q", g, want)
	}
}
