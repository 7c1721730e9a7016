package forms

import (
	"errors"
	"testing"

	"lifeboat"
)

func TestProblems_Helpers(t *testing.T) {
	ps := Problems{
		{Field: "a", Message: "A is required"},
		{Field: "b", Message: "B is unusual", Soft: true},
		{Field: "a", Message: "A is too long"},
	}
	if got := ps.Error(); got != "A is required; B is unusual; A is too long" {
		t.Errorf("Problems.Error() = %q, want the messages joined with \"; \"", got)
	}
	if got := ps.Hard(); len(got) != 2 || got[0].Field != "a" || got[1].Message != "A is too long" {
		t.Errorf("Problems.Hard() = %v, want the two hard problems", got)
	}
	if got := ps.Soft(); len(got) != 1 || got[0].Field != "b" {
		t.Errorf("Problems.Soft() = %v, want the soft problem", got)
	}
	if got := ps.For("a"); len(got) != 2 {
		t.Errorf("Problems.For(a) = %v, want 2", got)
	}
	if !ps.HasHard() || ps.Soft().HasHard() || Problems(nil).HasHard() {
		t.Errorf("Problems.HasHard() = %v, %v, %v, want true, false, false", ps.HasHard(), ps.Soft().HasHard(), Problems(nil).HasHard())
	}
	if err := ps.Err(); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("Problems.Err() = %v, want an error wrapping lifeboat.ErrInvalid", err)
	}
	if err := Problems(nil).Err(); err != nil {
		t.Errorf("Problems(nil).Err() = %v, want nil", err)
	}
}
