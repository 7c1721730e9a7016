package forms

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"lifeboat"
)

// Limits that keep expressions from forms written by people cheap and
// safe to parse and evaluate, whatever they contain.
const (
	maxExprLen   = 2000 // bytes of source
	maxExprDepth = 64   // nesting of parentheses, calls and unary minus
	maxExprArgs  = 100  // arguments to one function call
)

// ErrMissingValue is returned (wrapped) by Expr.Eval when a field the
// expression uses has no value yet. It is not a mistake in the form: the
// computed field simply has no value until the person fills the rest in.
var ErrMissingValue = errors.New("missing value")

// errDivideByZero is wrapped by Eval's error on division by zero.
var errDivideByZero = errors.New("division by zero")

// Expr is a parsed arithmetic expression for a computed form field. The
// language is small and safe: numbers (12, 0.5), field IDs (letters,
// digits and underscores, starting with a letter or underscore), + - * /,
// parentheses, unary minus, comparisons (< <= > >= == !=, giving 1 for
// true and 0 for false) and the functions min(a, ...), max(a, ...),
// sum(a, ...), abs(x), round(x) or round(x, digits), if(cond, a, b)
// (cond is true when not 0; only the branch taken is evaluated) and
// default(x, d), which is d when x uses a field with no value (so a blank
// intake counts as 0 in default(oral_ml, 0)). Without default, a computed
// field that uses an unanswered field has no value: a score must not be
// shown as complete when it is not.
// Evaluation never panics: division by zero and results that are not
// finite numbers are errors. An Expr is safe for concurrent use.
type Expr struct {
	src  string
	root exprNode
	refs []string
}

// ParseExpr parses src. Errors name the byte offset of the problem and
// wrap lifeboat.ErrInvalid.
func ParseExpr(src string) (*Expr, error) {
	if len(src) > maxExprLen {
		return nil, invalidf("expression is longer than %d characters", maxExprLen)
	}
	p := &exprParser{src: src, seen: map[string]bool{}}
	p.next()
	root := p.parseExpr(0)
	if p.err == nil && p.tok.kind != tokEOF {
		p.fail("unexpected %s", p.tok)
	}
	if p.err != nil {
		return nil, p.err
	}
	return &Expr{src: src, root: root, refs: p.refs}, nil
}

// String returns the source the expression was parsed from.
func (e *Expr) String() string { return e.src }

// Refs lists the field IDs the expression uses, each once, in order of
// first use.
func (e *Expr) Refs() []string { return append([]string(nil), e.refs...) }

// Eval evaluates the expression with vars giving each field's value. A
// field absent from vars gives an error wrapping ErrMissingValue; division
// by zero or a result that is not a finite number gives an error wrapping
// lifeboat.ErrInvalid.
func (e *Expr) Eval(vars map[string]float64) (float64, error) {
	v, err := e.root.eval(vars)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, invalidf("the result is too large to be a number")
	}
	return v, nil
}

// exprNode is one node of a parsed expression.
type exprNode interface {
	eval(vars map[string]float64) (float64, error)
}

type (
	numNode float64
	refNode string
	negNode struct{ x exprNode }
	binNode struct {
		op   string
		l, r exprNode
	}
	callNode struct {
		fn   string
		args []exprNode
	}
)

func (n numNode) eval(map[string]float64) (float64, error) { return float64(n), nil }

func (n refNode) eval(vars map[string]float64) (float64, error) {
	v, ok := vars[string(n)]
	if !ok {
		return 0, fmt.Errorf("%s: %w", string(n), ErrMissingValue)
	}
	return v, nil
}

func (n negNode) eval(vars map[string]float64) (float64, error) {
	v, err := n.x.eval(vars)
	return -v, err
}

func (n binNode) eval(vars map[string]float64) (float64, error) {
	l, err := n.l.eval(vars)
	if err != nil {
		return 0, err
	}
	r, err := n.r.eval(vars)
	if err != nil {
		return 0, err
	}
	var v float64
	switch n.op {
	case "+":
		v = l + r
	case "-":
		v = l - r
	case "*":
		v = l * r
	case "/":
		if r == 0 {
			return 0, fmt.Errorf("%w: %w", errDivideByZero, lifeboat.ErrInvalid)
		}
		v = l / r
	case "<":
		v = b2f(l < r)
	case "<=":
		v = b2f(l <= r)
	case ">":
		v = b2f(l > r)
	case ">=":
		v = b2f(l >= r)
	case "==":
		v = b2f(l == r)
	case "!=":
		v = b2f(l != r)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, invalidf("the result is too large to be a number")
	}
	return v, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// exprFuncs gives each function's minimum and maximum argument count.
var exprFuncs = map[string][2]int{
	"min":     {1, maxExprArgs},
	"max":     {1, maxExprArgs},
	"sum":     {1, maxExprArgs},
	"abs":     {1, 1},
	"round":   {1, 2},
	"if":      {3, 3},
	"default": {2, 2},
}

func (n callNode) eval(vars map[string]float64) (float64, error) {
	if n.fn == "default" {
		v, err := n.args[0].eval(vars)
		if errors.Is(err, ErrMissingValue) {
			return n.args[1].eval(vars)
		}
		return v, err
	}
	if n.fn == "if" {
		c, err := n.args[0].eval(vars)
		if err != nil {
			return 0, err
		}
		if c != 0 {
			return n.args[1].eval(vars)
		}
		return n.args[2].eval(vars)
	}
	args := make([]float64, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(vars)
		if err != nil {
			return 0, err
		}
		args[i] = v
	}
	switch n.fn {
	case "min":
		v := args[0]
		for _, a := range args[1:] {
			v = min(v, a)
		}
		return v, nil
	case "max":
		v := args[0]
		for _, a := range args[1:] {
			v = max(v, a)
		}
		return v, nil
	case "sum":
		v := 0.0
		for _, a := range args {
			v += a
		}
		if math.IsInf(v, 0) {
			return 0, invalidf("the result is too large to be a number")
		}
		return v, nil
	case "abs":
		return math.Abs(args[0]), nil
	case "round":
		digits := 0.0
		if len(args) == 2 {
			digits = args[1]
		}
		if digits != math.Trunc(digits) || digits < 0 || digits > 10 {
			return 0, invalidf("round needs a whole number of digits from 0 to 10")
		}
		p := math.Pow(10, digits)
		v := math.Round(args[0]*p) / p
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return args[0], nil // too large to have decimals to round
		}
		return v, nil
	}
	return 0, invalidf("unknown function %s", n.fn)
}

// Tokens.
type tokKind int

const (
	tokEOF tokKind = iota
	tokNum
	tokIdent
	tokOp // + - * / ( ) , < <= > >= == !=
	tokBad
)

type token struct {
	kind tokKind
	text string
	pos  int
	num  float64
}

// String describes the token for error messages.
func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokBad:
		return fmt.Sprintf("character %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// exprParser is a recursive-descent parser:
//
//	expr    = sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]
//	sum     = product { ("+" | "-") product }
//	product = unary { ("*" | "/") unary }
//	unary   = "-" unary | primary
//	primary = number | ident | ident "(" [ expr { "," expr } ] ")" | "(" expr ")"
type exprParser struct {
	src  string
	off  int
	tok  token
	err  error
	refs []string
	seen map[string]bool
}

func (p *exprParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = invalidf("expression %q at position %d: %s", p.src, p.tok.pos+1, fmt.Sprintf(format, args...))
	}
	p.tok = token{kind: tokEOF, pos: len(p.src)}
	p.off = len(p.src)
}

func (p *exprParser) next() {
	s := p.src
	for p.off < len(s) && (s[p.off] == ' ' || s[p.off] == '\t' || s[p.off] == '\n' || s[p.off] == '\r') {
		p.off++
	}
	start := p.off
	if p.off >= len(s) {
		p.tok = token{kind: tokEOF, pos: start}
		return
	}
	c := s[p.off]
	switch {
	case isDigit(c) || c == '.':
		for p.off < len(s) && (isDigit(s[p.off]) || s[p.off] == '.') {
			p.off++
		}
		text := s[start:p.off]
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || strings.Count(text, ".") > 1 || text == "." {
			p.tok = token{kind: tokNum, text: text, pos: start}
			p.fail("%q is not a number", text)
			return
		}
		p.tok = token{kind: tokNum, text: text, pos: start, num: v}
	case isIdentStart(c):
		for p.off < len(s) && isIdentPart(s[p.off]) {
			p.off++
		}
		p.tok = token{kind: tokIdent, text: s[start:p.off], pos: start}
	case strings.IndexByte("+-*/(),", c) >= 0:
		p.off++
		p.tok = token{kind: tokOp, text: s[start:p.off], pos: start}
	case c == '<' || c == '>' || c == '=' || c == '!':
		p.off++
		if p.off < len(s) && s[p.off] == '=' {
			p.off++
		}
		text := s[start:p.off]
		if text == "=" || text == "!" {
			p.tok = token{kind: tokBad, text: text, pos: start}
			p.fail("use == to compare and != for not equal")
			return
		}
		p.tok = token{kind: tokOp, text: text, pos: start}
	default:
		r := []rune(s[start:])[0]
		p.tok = token{kind: tokBad, text: string(r), pos: start}
		p.fail("unexpected %s", p.tok)
	}
}

func (p *exprParser) is(op string) bool { return p.tok.kind == tokOp && p.tok.text == op }

func (p *exprParser) parseExpr(depth int) exprNode {
	if depth > maxExprDepth {
		p.fail("expression is nested too deeply")
		return numNode(0)
	}
	l := p.parseSum(depth)
	switch {
	case p.is("<"), p.is("<="), p.is(">"), p.is(">="), p.is("=="), p.is("!="):
		op := p.tok.text
		p.next()
		r := p.parseSum(depth)
		if p.is("<") || p.is("<=") || p.is(">") || p.is(">=") || p.is("==") || p.is("!=") {
			p.fail("comparisons cannot be chained: use if() or parentheses")
		}
		return binNode{op: op, l: l, r: r}
	}
	return l
}

func (p *exprParser) parseSum(depth int) exprNode {
	l := p.parseProduct(depth)
	for p.is("+") || p.is("-") {
		op := p.tok.text
		p.next()
		l = binNode{op: op, l: l, r: p.parseProduct(depth)}
	}
	return l
}

func (p *exprParser) parseProduct(depth int) exprNode {
	l := p.parseUnary(depth)
	for p.is("*") || p.is("/") {
		op := p.tok.text
		p.next()
		l = binNode{op: op, l: l, r: p.parseUnary(depth)}
	}
	return l
}

func (p *exprParser) parseUnary(depth int) exprNode {
	if p.is("-") {
		if depth > maxExprDepth {
			p.fail("expression is nested too deeply")
			return numNode(0)
		}
		p.next()
		return negNode{p.parseUnary(depth + 1)}
	}
	return p.parsePrimary(depth)
}

func (p *exprParser) parsePrimary(depth int) exprNode {
	t := p.tok
	switch {
	case t.kind == tokNum:
		p.next()
		return numNode(t.num)
	case t.kind == tokIdent:
		p.next()
		if !p.is("(") {
			if !p.seen[t.text] {
				p.seen[t.text] = true
				p.refs = append(p.refs, t.text)
			}
			return refNode(t.text)
		}
		arity, ok := exprFuncs[t.text]
		if !ok {
			p.tok = t
			p.fail("unknown function %s (use min, max, sum, abs, round, if or default)", t.text)
			return numNode(0)
		}
		p.next()
		var args []exprNode
		if !p.is(")") {
			for {
				args = append(args, p.parseExpr(depth+1))
				if len(args) > maxExprArgs || !p.is(",") {
					break
				}
				p.next()
			}
		}
		if !p.is(")") {
			p.fail("expected , or ) in call to %s, found %s", t.text, p.tok)
			return numNode(0)
		}
		p.next()
		if len(args) < arity[0] || len(args) > arity[1] {
			p.tok = t
			p.fail("%s takes %s, not %d", t.text, arityWords(arity), len(args))
			return numNode(0)
		}
		return callNode{fn: t.text, args: args}
	case p.is("("):
		p.next()
		x := p.parseExpr(depth + 1)
		if !p.is(")") {
			p.fail("expected ), found %s", p.tok)
			return numNode(0)
		}
		p.next()
		return x
	}
	p.fail("expected a number, field or (, found %s", t)
	return numNode(0)
}

func arityWords(a [2]int) string {
	switch {
	case a[0] == a[1] && a[0] == 1:
		return "1 argument"
	case a[0] == a[1]:
		return fmt.Sprintf("%d arguments", a[0])
	case a[1] == maxExprArgs:
		return fmt.Sprintf("at least %d argument", a[0])
	}
	return fmt.Sprintf("%d or %d arguments", a[0], a[1])
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// invalidf formats an error wrapping lifeboat.ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, lifeboat.ErrInvalid)...)
}
