package forms

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"lifeboat"
)

func TestExpr_Eval(t *testing.T) {
	vars := map[string]float64{"a": 2, "b": 3, "c": 0, "big": 1e308, "x_1": 1.25}
	tests := []struct {
		src  string
		want float64
	}{
		{"1", 1},
		{"1.5", 1.5},
		{".5", 0.5},
		{"1 + 2 * 3", 7},
		{"(1 + 2) * 3", 9},
		{"10 - 4 - 3", 3},
		{"12 / 4 / 3", 1},
		{"-a", -2},
		{"--a", 2},
		{"-(a + b)", -5},
		{"a - -b", 5},
		{"a * -b", -6},
		{"x_1 * 4", 5},
		{"min(a, b, 1)", 1},
		{"max(a, b)", 3},
		{"max(a)", 2},
		{"sum(a, b, c)", 5},
		{"abs(-a)", 2},
		{"round(2.5)", 3},
		{"round(-2.5)", -3},
		{"round(1.23456, 2)", 1.23},
		{"round(b / 7, 3)", 0.429},
		{"if(a > b, 1, 2)", 2},
		{"if(a < b, 1, 2)", 1},
		{"if(c, 1 / c, 7)", 7}, // only the branch taken is evaluated
		{"a == 2", 1},
		{"a != 2", 0},
		{"a >= 2", 1},
		{"a <= 1", 0},
		{"a + 1 > b", 0},
		{"(a < b) + (b < a)", 1},
		{"default(missing, 4)", 4},
		{"default(a, 4)", 2},
		{"default(missing + a, 0) + 1", 1},
		{"if(a > 1, default(missing, 9), missing)", 9},
		{"  a\t+\nb ", 5},
		{"round(big, 2)", 1e308},
	}
	for _, tt := range tests {
		e, err := ParseExpr(tt.src)
		if err != nil {
			t.Errorf("ParseExpr(%q) = %v, want no error", tt.src, err)
			continue
		}
		got, err := e.Eval(vars)
		if err != nil || math.Abs(got-tt.want) > 1e-9*math.Max(1, math.Abs(tt.want)) {
			t.Errorf("ParseExpr(%q).Eval() = %v, %v, want %v, nil", tt.src, got, err, tt.want)
		}
		if e.String() != tt.src {
			t.Errorf("ParseExpr(%q).String() = %q, want the source", tt.src, e.String())
		}
	}
}

func TestExpr_EvalErrors(t *testing.T) {
	vars := map[string]float64{"a": 2, "zero": 0, "big": 1e308, "nan": math.NaN()}
	tests := []struct {
		src     string
		missing bool
		msg     string
	}{
		{"a / 0", false, "division by zero"},
		{"a / zero", false, "division by zero"},
		{"a / (a - 2)", false, "division by zero"},
		{"big * 10", false, "too large"},
		{"sum(big, big)", false, "too large"},
		{"nan + 1", false, "too large"},
		{"round(a, 1.5)", false, "whole number of digits"},
		{"round(a, -1)", false, "whole number of digits"},
		{"round(a, 11)", false, "whole number of digits"},
		{"missing + 1", true, "missing"},
		{"if(missing, 1, 2)", true, "missing"},
		{"default(a / 0, 1)", false, "division by zero"}, // default covers missing values only
	}
	for _, tt := range tests {
		e, err := ParseExpr(tt.src)
		if err != nil {
			t.Errorf("ParseExpr(%q) = %v, want no error", tt.src, err)
			continue
		}
		got, err := e.Eval(vars)
		if err == nil {
			t.Errorf("ParseExpr(%q).Eval() = %v, nil, want an error containing %q", tt.src, got, tt.msg)
			continue
		}
		if errors.Is(err, ErrMissingValue) != tt.missing || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseExpr(%q).Eval() error = %v, want missing %v containing %q", tt.src, err, tt.missing, tt.msg)
		}
		if !tt.missing && !errors.Is(err, lifeboat.ErrInvalid) {
			t.Errorf("ParseExpr(%q).Eval() error = %v, want it to wrap lifeboat.ErrInvalid", tt.src, err)
		}
	}
}

func TestParseExpr_Errors(t *testing.T) {
	tests := []struct{ src, msg string }{
		{"", "position 1: expected a number, field or (, found end of expression"},
		{"1 +", "expected a number, field or ("},
		{"(1 + 2", "expected ), found end of expression"},
		{"1 + 2)", "position 6: unexpected \")\""},
		{"a b", "unexpected \"b\""},
		{"1..2", "\"1..2\" is not a number"},
		{".", "\".\" is not a number"},
		{"1e5", "unexpected \"e5\""},
		{"a = 1", "use == to compare"},
		{"!a", "use == to compare"},
		{"a $ b", "unexpected character \"$\""},
		{"a × b", "unexpected character \"×\""},
		{"pow(a, 2)", "unknown function pow"},
		{"min()", "min takes at least 1 argument, not 0"},
		{"round(1, 2, 3)", "round takes 1 or 2 arguments, not 3"},
		{"if(1, 2)", "if takes 3 arguments, not 2"},
		{"abs(1, 2)", "abs takes 1 argument, not 2"},
		{"min(1 2)", "expected , or ) in call to min"},
		{"1 < 2 < 3", "comparisons cannot be chained"},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "nested too deeply"},
		{strings.Repeat("-", 100) + "1", "nested too deeply"},
		{strings.Repeat("1+", 1001) + "1", "longer than 2000 characters"},
	}
	for _, tt := range tests {
		e, err := ParseExpr(tt.src)
		if err == nil {
			t.Errorf("ParseExpr(%.40q) = %v, nil, want an error containing %q", tt.src, e, tt.msg)
			continue
		}
		if !strings.Contains(err.Error(), tt.msg) || !errors.Is(err, lifeboat.ErrInvalid) {
			t.Errorf("ParseExpr(%.40q) error = %v, want an invalid error containing %q", tt.src, err, tt.msg)
		}
	}
}

func TestExpr_Refs(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"1 + 2", nil},
		{"a + b * a", []string{"a", "b"}},
		{"min(x, y) + round(z, 1) + if(c > 0, d, e)", []string{"x", "y", "z", "c", "d", "e"}},
		{"sum(q1, q2) - q1", []string{"q1", "q2"}},
	}
	for _, tt := range tests {
		e, err := ParseExpr(tt.src)
		if err != nil {
			t.Fatalf("ParseExpr(%q) = %v", tt.src, err)
		}
		if got := e.Refs(); !slices.Equal(got, tt.want) {
			t.Errorf("ParseExpr(%q).Refs() = %v, want %v", tt.src, got, tt.want)
		}
	}
}
