package forms

import (
	"math"
	"strings"
	"time"
)

// NEWS2Param names one of the seven NEWS2 parameters.
type NEWS2Param int

// The NEWS2 parameters, in the order of the RCP chart.
const (
	ParamRespRate NEWS2Param = iota
	ParamSpO2
	ParamAirOxygen
	ParamSystolic
	ParamPulse
	ParamConsciousness
	ParamTemperature
	numNEWS2Params
)

// NEWS2Params lists every parameter in chart order.
var NEWS2Params = []NEWS2Param{ParamRespRate, ParamSpO2, ParamAirOxygen, ParamSystolic, ParamPulse, ParamConsciousness, ParamTemperature}

// String is the parameter in plain words, as shown in lists of what is
// missing.
func (p NEWS2Param) String() string {
	switch p {
	case ParamRespRate:
		return "respiration rate"
	case ParamSpO2:
		return "oxygen saturation"
	case ParamAirOxygen:
		return "air or oxygen"
	case ParamSystolic:
		return "systolic blood pressure"
	case ParamPulse:
		return "pulse"
	case ParamConsciousness:
		return "consciousness"
	case ParamTemperature:
		return "temperature"
	}
	return "unknown parameter"
}

// Band is the NEWS2 clinical risk band that sets the response.
type Band string

// The bands. BandIncomplete means not all seven parameters could be
// scored, so there is no valid total: record the rest.
const (
	BandIncomplete Band = "incomplete"
	BandNone       Band = "none"       // total 0
	BandLow        Band = "low"        // total 1-4, no single 3
	BandLowMedium  Band = "low-medium" // total 1-4 with a 3 in a single parameter
	BandMedium     Band = "medium"     // total 5-6
	BandHigh       Band = "high"       // total 7 or more
)

// Monitoring intervals for each band. The RCP asks for 4-6-hourly
// observations at a total of 1-4; Lifeboat uses the safe bound, 4 hours.
// At 7 or more the RCP asks for continuous monitoring: the next set is
// shown as due after ContinuousObsInterval so a missed set still shows
// as overdue on the ward list, and NEWS2.Continuous is set.
const (
	RoutineObsInterval    = 12 * time.Hour
	LowObsInterval        = 4 * time.Hour
	UrgentObsInterval     = time.Hour
	ContinuousObsInterval = 15 * time.Minute
)

// NEWS2 is the score of one set of observations by the Royal College of
// Physicians' National Early Warning Score 2 (2017).
type NEWS2 struct {
	// Scale is the SpO2 scale used: 1, or 2 for confirmed hypercapnic
	// respiratory failure.
	Scale int
	// Sub holds each parameter's score (0 to 3), indexed by NEWS2Param.
	// A parameter that was not recorded scores 0 here and has Have false.
	Sub [numNEWS2Params]int
	// Have reports, per parameter, whether it could be scored.
	Have [numNEWS2Params]bool
	// Missing lists the parameters that could not be scored, in chart
	// order. An SpO2 on scale 2 at 93% or more cannot be scored without
	// knowing air or oxygen, so it is listed too.
	Missing []NEWS2Param
	// Complete is true when all seven parameters were scored. Only then
	// are Total and the band valid.
	Complete bool
	// Total is the aggregate score, 0 to 20; 0 when not Complete.
	Total int
	// Partial is the sum of the parameters that were scored. For an
	// incomplete set the true total is at least this.
	Partial int
	// AnySingle3 is true when any one parameter scored 3.
	AnySingle3 bool
	// Band is the clinical risk band; BandIncomplete when not Complete.
	Band Band
	// Response is what to do, in plain words.
	Response string
	// Frequency is the longest allowed time to the next set of
	// observations. For an incomplete set it is at most an hour, sooner
	// if the parameters already scored demand it.
	Frequency time.Duration
	// Continuous is true when the patient needs continuous monitoring
	// (total 7 or more, or an incomplete set already scoring 7).
	Continuous bool
}

// Score returns one parameter's sub-score and whether it was scored.
func (n NEWS2) Score(p NEWS2Param) (score int, ok bool) {
	if p < 0 || p >= numNEWS2Params {
		return 0, false
	}
	return n.Sub[p], n.Have[p]
}

// MissingNames lists the missing parameters in plain words.
func (n NEWS2) MissingNames() []string {
	names := make([]string, len(n.Missing))
	for i, p := range n.Missing {
		names[i] = p.String()
	}
	return names
}

// ScoreNEWS2 scores a set of observations exactly by the RCP NEWS2 chart.
// scale is the patient's SpO2 scale from the latest SpO2ScaleSetting: only
// 2 selects scale 2, anything else is scale 1 (o.SpO2Scale, what the
// recorder saw, is not trusted over the patient's setting). Temperature is
// rounded to the nearest tenth of a degree and compared in whole tenths,
// never as a raw float. A partial set still gets its sub-scores, AnySingle3 and Partial,
// but no Total or band; see NEWS2.Frequency for how soon to complete it.
func ScoreNEWS2(o Observations, scale int) NEWS2 {
	n := NEWS2{Scale: 1}
	if scale == 2 {
		n.Scale = 2
	}
	set := func(p NEWS2Param, s int) {
		n.Sub[p], n.Have[p] = s, true
	}
	if o.RespRate != nil {
		set(ParamRespRate, scoreRespRate(*o.RespRate))
	}
	if o.SpO2 != nil {
		if s, ok := scoreSpO2(*o.SpO2, n.Scale, o.OnOxygen); ok {
			set(ParamSpO2, s)
		}
	}
	if o.OnOxygen != nil {
		s := 0
		if *o.OnOxygen {
			s = 2
		}
		set(ParamAirOxygen, s)
	}
	if o.Systolic != nil {
		set(ParamSystolic, scoreSystolic(*o.Systolic))
	}
	if o.Pulse != nil {
		set(ParamPulse, scorePulse(*o.Pulse))
	}
	if s, ok := scoreConsciousness(o.Consciousness); ok {
		set(ParamConsciousness, s)
	}
	if o.TempC != nil {
		if tenths, ok := tempTenths(*o.TempC); ok {
			set(ParamTemperature, scoreTempTenths(tenths))
		}
	}

	for p := range numNEWS2Params {
		if !n.Have[p] {
			n.Missing = append(n.Missing, p)
			continue
		}
		n.Partial += n.Sub[p]
		if n.Sub[p] == 3 {
			n.AnySingle3 = true
		}
	}
	n.Complete = len(n.Missing) == 0

	band := bandFor(n.Partial, n.AnySingle3)
	n.Response, n.Frequency = responseFor(band)
	n.Continuous = band == BandHigh
	if n.Complete {
		n.Total = n.Partial
		n.Band = band
		return n
	}
	// Incomplete: the true total is at least Partial, so a band of medium
	// or more already applies; otherwise complete the set within the hour.
	n.Band = BandIncomplete
	missing := "Incomplete observations: record " + joinWords(n.MissingNames()) + " now to complete the NEWS2 score"
	if band == BandNone || band == BandLow {
		n.Response = missing
	} else {
		n.Response = missing + ". " + n.Response
	}
	n.Frequency = min(n.Frequency, UrgentObsInterval)
	return n
}

// bandFor is the band for an aggregate score.
func bandFor(total int, single3 bool) Band {
	switch {
	case total >= 7:
		return BandHigh
	case total >= 5:
		return BandMedium
	case single3:
		return BandLowMedium
	case total >= 1:
		return BandLow
	}
	return BandNone
}

// responseFor is the RCP clinical response and monitoring interval for a band.
func responseFor(b Band) (string, time.Duration) {
	switch b {
	case BandHigh:
		return "Emergency response: inform the medical team immediately; emergency assessment by a team with critical care skills, including airway management; consider moving to a higher level of care; continuous monitoring", ContinuousObsInterval
	case BandMedium:
		return "Urgent response: a registered nurse informs the medical team immediately; urgent assessment by a clinician skilled in caring for acutely ill patients; observations at least every hour", UrgentObsInterval
	case BandLowMedium:
		return "Urgent ward-based response: a registered nurse informs the medical team, who assess the patient and decide whether to escalate care; observations at least every hour", UrgentObsInterval
	case BandLow:
		return "A registered nurse assesses the patient and decides whether to increase monitoring or escalate care; observations at least every 4 hours", LowObsInterval
	}
	return "Continue routine monitoring; observations at least every 12 hours", RoutineObsInterval
}

// NextObsDue is when the next set of observations is due after a set
// performed at performedAt: performedAt plus n.Frequency. For a patient on
// continuous monitoring this is ContinuousObsInterval after the last
// recorded set.
func NextObsDue(performedAt time.Time, n NEWS2) time.Time {
	f := n.Frequency
	if f <= 0 {
		f = UrgentObsInterval // a zero NEWS2 was never scored: ask soon
	}
	return performedAt.Add(f)
}

// Overdue reports whether observations due at due are overdue at now.
// A zero due time (nothing scheduled) is never overdue.
func Overdue(now, due time.Time) bool {
	return !due.IsZero() && now.After(due)
}

func scoreRespRate(v int) int {
	switch {
	case v <= 8:
		return 3
	case v <= 11:
		return 1
	case v <= 20:
		return 0
	case v <= 24:
		return 2
	}
	return 3
}

// scoreSpO2 scores a saturation on scale 1 or 2. On scale 2 a saturation
// of 93% or more scores by whether the patient is on oxygen; without that
// it cannot be scored (ok false).
func scoreSpO2(v, scale int, onOxygen *bool) (score int, ok bool) {
	if scale != 2 {
		switch {
		case v <= 91:
			return 3, true
		case v <= 93:
			return 2, true
		case v <= 95:
			return 1, true
		}
		return 0, true
	}
	switch {
	case v <= 83:
		return 3, true
	case v <= 85:
		return 2, true
	case v <= 87:
		return 1, true
	case v <= 92:
		return 0, true
	}
	if onOxygen == nil {
		return 0, false
	}
	switch {
	case !*onOxygen:
		return 0, true
	case v <= 94:
		return 1, true
	case v <= 96:
		return 2, true
	}
	return 3, true
}

func scoreSystolic(v int) int {
	switch {
	case v <= 90:
		return 3
	case v <= 100:
		return 2
	case v <= 110:
		return 1
	case v <= 219:
		return 0
	}
	return 3
}

func scorePulse(v int) int {
	switch {
	case v <= 40:
		return 3
	case v <= 50:
		return 1
	case v <= 90:
		return 0
	case v <= 110:
		return 1
	case v <= 130:
		return 2
	}
	return 3
}

// scoreConsciousness scores an ACVPU letter: alert 0; new confusion,
// voice, pain or unresponsive 3. Anything else is not scored.
func scoreConsciousness(s string) (int, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "A":
		return 0, true
	case "C", "V", "P", "U":
		return 3, true
	}
	return 0, false
}

// tempTenths rounds a temperature in degrees Celsius to whole tenths of a
// degree, so bands are compared as integers, never as raw floats (37.99999
// must not fall between 38.0 and 38.1). Values that are not finite or
// beyond any thermometer are refused.
func tempTenths(c float64) (int, bool) {
	if math.IsNaN(c) || c < -100 || c > 100 {
		return 0, false
	}
	return int(math.Round(c * 10)), true
}

func scoreTempTenths(t int) int {
	switch {
	case t <= 350:
		return 3
	case t <= 360:
		return 1
	case t <= 380:
		return 0
	case t <= 390:
		return 1
	}
	return 2
}

// joinWords joins words as "a, b and c".
func joinWords(w []string) string {
	switch len(w) {
	case 0:
		return ""
	case 1:
		return w[0]
	}
	return strings.Join(w[:len(w)-1], ", ") + " and " + w[len(w)-1]
}
