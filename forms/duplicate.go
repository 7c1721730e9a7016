package forms

import (
	"strings"
	"unicode"
)

// PossibleDuplicates returns the patients in existing that may be the same
// person as candidate, in their original order, so the UI can warn before a
// second record is made. Downtime registration is rushed and often by hand,
// so the match is deliberately generous: a false warning costs a glance, a
// missed one splits a patient's record in two. See DuplicateReason for the
// rules. A patient with candidate's own ID is never reported.
func PossibleDuplicates(candidate Patient, existing []Patient) []Patient {
	var out []Patient
	for _, e := range existing {
		if candidate.ID != "" && e.ID == candidate.ID {
			continue
		}
		if DuplicateReason(candidate, e) != "" {
			out = append(out, e)
		}
	}
	return out
}

// DuplicateReason says in plain words why a and b may be the same person,
// or returns "" when they do not look alike. They match when they share an
// NHS number or a temporary ID, or when they share a date of birth and
// their names are similar. Names are compared after folding case and
// accents and dropping spaces, hyphens and apostrophes; two names are
// similar when they are equal, sound alike (Soundex), differ by a small
// edit (one for names up to 7 letters, two for longer; a swap of adjacent
// letters counts as one), or one begins with the other (at least 3 letters,
// or just an initial for first names). First name and surname entered the
// wrong way round also match, and so does a date of birth with day and
// month swapped (04/03 written for 03/04) when the names are similar.
func DuplicateReason(a, b Patient) string {
	if na, nb := nhsDigits(a.NHSNumber), nhsDigits(b.NHSNumber); na != "" && na == nb {
		return "same NHS number"
	}
	if ta, tb := strings.ToUpper(strings.TrimSpace(a.TempID)), strings.ToUpper(strings.TrimSpace(b.TempID)); ta != "" && ta == tb {
		return "same temporary ID"
	}
	da, db := strings.TrimSpace(a.BirthDate), strings.TrimSpace(b.BirthDate)
	dob := "same date of birth"
	switch {
	case da == "":
		return ""
	case da != db && swappedDayMonth(da, db):
		dob = "date of birth with day and month swapped"
	case da != db:
		return ""
	}
	as, ag := foldName(a.Surname), foldName(a.Given)
	bs, bg := foldName(b.Surname), foldName(b.Given)
	if similarName(as, bs, 3) && similarName(ag, bg, 1) {
		return dob + " and similar name"
	}
	if similarName(as, bg, 3) && similarName(ag, bs, 3) {
		return dob + " and similar name, first name and surname swapped"
	}
	return ""
}

// swappedDayMonth reports whether two YYYY-MM-DD dates are the same year
// with day and month exchanged (1957-03-04 and 1957-04-03): the commonest
// slip when a date is copied between UK and US forms.
func swappedDayMonth(a, b string) bool {
	if len(a) != 10 || len(b) != 10 || a[:5] != b[:5] {
		return false
	}
	return a[5:7] == b[8:10] && a[8:10] == b[5:7]
}

// nhsDigits returns the 10 digits of a valid NHS number, or "".
func nhsDigits(s string) string {
	d, err := ParseNHSNumber(s)
	if err != nil {
		return ""
	}
	return d
}

// similarName reports whether two folded names may be the same, allowing
// one to be a prefix of the other when the shorter has at least minPrefix
// letters. Empty names never match: nothing entered is not a likeness.
func similarName(a, b string, minPrefix int) bool {
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	short, long := a, b
	if len(short) > len(long) {
		short, long = long, short
	}
	if len(short) >= minPrefix && strings.HasPrefix(long, short) {
		return true
	}
	if len(short) >= 2 && soundAlike(a, b) {
		return true
	}
	limit := 1
	if len(long) > 7 {
		limit = 2
	}
	if len(long) <= 3 {
		limit = 0 // "Ann" and "Ian" are different people
	}
	return editDistance(a, b, limit) <= limit
}

// foldName lower-cases a name, folds common Latin accents to their base
// letters and keeps only a-z, so "O'Brien", "o brien" and "Ó-Brien" agree.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
			continue
		}
		if f, ok := accentFold[r]; ok {
			b.WriteString(f)
		}
	}
	return b.String()
}

// accentFold maps accented Latin letters (lower case) to plain ones.
// Combining marks and other symbols are simply dropped by foldName.
var accentFold = func() map[rune]string {
	m := map[rune]string{'æ': "ae", 'œ': "oe", 'ß': "ss", 'þ': "th", 'ð': "d", 'ı': "i"}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăą",
		"c": "çćĉċč",
		"d": "ďđ",
		"e": "èéêëēĕėęě",
		"g": "ĝğġģ",
		"h": "ĥħ",
		"i": "ìíîïĩīĭįİ",
		"j": "ĵ",
		"k": "ķ",
		"l": "ĺļľŀł",
		"n": "ñńņňŉ",
		"o": "òóôõöøōŏő",
		"r": "ŕŗř",
		"s": "śŝşšș",
		"t": "ţťŧț",
		"u": "ùúûüũūŭůűų",
		"w": "ŵ",
		"y": "ýÿŷ",
		"z": "źżž",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// soundAlike reports whether two folded names have the same Soundex code,
// counting first letters of the same Soundex group as equal ("Catherine"
// C365 and "Kathryn" K365, "Philip" and "Filip").
func soundAlike(a, b string) bool {
	sa, sb := soundex(a), soundex(b)
	if sa == sb {
		return true
	}
	return sa[1:] == sb[1:] && soundexCode(a[0]) != '0' && soundexCode(a[0]) == soundexCode(b[0])
}

// soundexCode is a letter's Soundex digit: '0' for vowels and y, 'h' for h
// and w (which do not separate equal codes).
func soundexCode(c byte) byte {
	switch c {
	case 'b', 'f', 'p', 'v':
		return '1'
	case 'c', 'g', 'j', 'k', 'q', 's', 'x', 'z':
		return '2'
	case 'd', 't':
		return '3'
	case 'l':
		return '4'
	case 'm', 'n':
		return '5'
	case 'r':
		return '6'
	case 'h', 'w':
		return 'h'
	}
	return '0'
}

// soundex is the American Soundex code of a folded (a-z only) name.
func soundex(s string) string {
	if s == "" {
		return ""
	}
	code := soundexCode
	out := []byte{s[0] - 'a' + 'A'}
	last := code(s[0])
	for i := 1; i < len(s) && len(out) < 4; i++ {
		c := code(s[i])
		switch c {
		case 'h':
			continue
		case '0':
			last = '0'
			continue
		}
		if c != last {
			out = append(out, c)
		}
		last = c
	}
	for len(out) < 4 {
		out = append(out, '0')
	}
	return string(out)
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and swaps of adjacent letters),
// cut short once it must exceed limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// SharedNHSNumbers groups the patients that hold the same valid NHS number
// as another, keyed by the 10 digits, each group in its original order.
// Two live records with one NHS number are one person split in two (both
// sides of a network split registered them): each group needs a merge.
func SharedNHSNumbers(ps []Patient) map[string][]Patient {
	by := map[string][]Patient{}
	for _, p := range ps {
		if d := nhsDigits(p.NHSNumber); d != "" {
			by[d] = append(by[d], p)
		}
	}
	for d, g := range by {
		if len(g) < 2 {
			delete(by, d)
		}
	}
	return by
}
