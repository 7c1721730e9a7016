package reconcile

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"lifeboat"
)

// Identifier systems and extension URLs Lifeboat puts on exported FHIR by
// default. The lifeboat.example host is a placeholder a trust replaces
// with its own base (Systems, SystemsUnder; docs/fhir-export.md); the
// values stay stable across exports.
const (
	EventIDSystem    = "https://lifeboat.example/event-id"   // value: the event ID (plus #part for one of several resources)
	PatientIDSystem  = "https://lifeboat.example/patient-id" // value: Lifeboat's patient ID
	TempIDSystem     = "https://lifeboat.example/temp-id"    // value: DT-<device>-<n>
	LocationSystem   = "https://lifeboat.example/location"   // value: ward, or ward/bed
	QuestionnaireURL = "https://lifeboat.example/fhir/Questionnaire/"
	PerformedAtURL   = "https://lifeboat.example/fhir/StructureDefinition/performed-at"
	RecordedAtURL    = "https://lifeboat.example/fhir/StructureDefinition/recorded-at"
	UserIDSystem     = "https://lifeboat.example/user-id"   // value: a performer's Lifeboat user ID
	DeviceIDSystem   = "https://lifeboat.example/device-id" // value: a device's ID
	DowntimeSystem   = "https://lifeboat.example/fhir/CodeSystem/entry-context"
	OrderIDSystem    = "https://lifeboat.example/order-id" // value: a medicine order's Lifeboat ID
	NEWS2System      = "https://lifeboat.example/fhir/CodeSystem/news2"
)

// DefaultSystemBase is the base the default systems are under.
const DefaultSystemBase = "https://lifeboat.example"

// Systems are the identifier systems and URLs an export writes: a trust
// sets its own (ExportOptions.Systems; lifeboat send --system-base or
// --systems FILE). They must stay the same from one send to the next:
// conditional creates and updates match on them, so a record sent under
// one system and again under another is written twice.
type Systems struct {
	EventID       string `json:"event_id"`      // value: the event ID (plus #part)
	PatientID     string `json:"patient_id"`    // value: Lifeboat's patient ID
	TempID        string `json:"temp_id"`       // value: DT-<device>-<n>
	Location      string `json:"location"`      // value: ward, or ward/bed
	Questionnaire string `json:"questionnaire"` // prefix of a form's canonical URL
	PerformedAt   string `json:"performed_at"`  // extension URL
	RecordedAt    string `json:"recorded_at"`   // extension URL
	UserID        string `json:"user_id"`       // value: Lifeboat's user ID of a performer
	DeviceID      string `json:"device_id"`     // value: Lifeboat's device ID
	// Downtime is the code system of the meta tag on every exported
	// resource and of the Provenance reason: code DowntimeCode.
	Downtime string `json:"downtime"`
	OrderID  string `json:"order_id"` // value: Lifeboat's medicine order ID (MedicationAdministration.request)
	// NEWS2 is the code system of Lifeboat's NEWS2 codes with no SNOMED CT
	// or LOINC code: the SpO2 scale (NEWS2ScaleCode, scale-1, scale-2).
	NEWS2 string `json:"news2"`
}

// DowntimeCode marks a resource recorded during downtime (meta.tag,
// Provenance.reason) in Systems.Downtime.
const (
	DowntimeCode    = "downtime-entry"
	DowntimeDisplay = "Recorded during downtime"
)

// DefaultSystems are today's systems, under DefaultSystemBase.
var DefaultSystems = Systems{EventID: EventIDSystem, PatientID: PatientIDSystem, TempID: TempIDSystem, Location: LocationSystem,
	Questionnaire: QuestionnaireURL, PerformedAt: PerformedAtURL, RecordedAt: RecordedAtURL,
	UserID: UserIDSystem, DeviceID: DeviceIDSystem, Downtime: DowntimeSystem, OrderID: OrderIDSystem, NEWS2: NEWS2System}

// SystemsUnder is every system under a trust's base URL, named as the
// defaults are under DefaultSystemBase ("<base>/event-id", ...).
func SystemsUnder(base string) Systems {
	base = strings.TrimRight(base, "/")
	return Systems{EventID: base + "/event-id", PatientID: base + "/patient-id", TempID: base + "/temp-id", Location: base + "/location",
		Questionnaire: base + "/fhir/Questionnaire/", PerformedAt: base + "/fhir/StructureDefinition/performed-at",
		RecordedAt: base + "/fhir/StructureDefinition/recorded-at", UserID: base + "/user-id", DeviceID: base + "/device-id",
		Downtime: base + "/fhir/CodeSystem/entry-context", OrderID: base + "/order-id", NEWS2: base + "/fhir/CodeSystem/news2"}
}

// SystemsFile is the JSON of a trust's systems file: a base, and any
// system to set apart from it.
type SystemsFile struct {
	Base string `json:"base"`
	Systems
}

// ParseSystems reads a systems file: every system not given is under its
// base (DefaultSystemBase if none). Unknown fields are refused (a typo
// would otherwise silently send under the default).
func ParseSystems(data []byte) (Systems, error) {
	var f SystemsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Systems{}, fmt.Errorf("read systems: %w: %w", err, lifeboat.ErrInvalid)
	}
	base := f.Base
	if base == "" {
		base = DefaultSystemBase
	}
	out := SystemsUnder(base)
	for _, p := range []struct {
		dst *string
		v   string
	}{{&out.EventID, f.EventID}, {&out.PatientID, f.PatientID}, {&out.TempID, f.TempID},
		{&out.Location, f.Location}, {&out.Questionnaire, f.Questionnaire}, {&out.PerformedAt, f.PerformedAt}, {&out.RecordedAt, f.RecordedAt},
		{&out.UserID, f.UserID}, {&out.DeviceID, f.DeviceID}, {&out.Downtime, f.Downtime}, {&out.OrderID, f.OrderID}, {&out.NEWS2, f.NEWS2}} {
		if p.v != "" {
			*p.dst = p.v
		}
	}
	if err := out.Check(); err != nil {
		return Systems{}, err
	}
	return out, nil
}

// Check refuses systems that are not absolute URIs (http(s) URLs or
// urn:), hold a "|", "," or space (they would break FHIR's
// "system|value" search), are the NHS number's system, or repeat.
func (s Systems) Check() error {
	seen := map[string]string{}
	for _, f := range []struct{ name, v string }{{"event_id", s.EventID}, {"patient_id", s.PatientID}, {"temp_id", s.TempID},
		{"location", s.Location}, {"questionnaire", s.Questionnaire}, {"performed_at", s.PerformedAt}, {"recorded_at", s.RecordedAt},
		{"user_id", s.UserID}, {"device_id", s.DeviceID}, {"downtime", s.Downtime}, {"order_id", s.OrderID}, {"news2", s.NEWS2}} {
		u, err := url.Parse(f.v)
		switch {
		case f.v == "":
			return fmt.Errorf("check systems: %s is empty: %w", f.name, lifeboat.ErrInvalid)
		case err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "urn") || (u.Scheme != "urn" && u.Host == ""):
			return fmt.Errorf("check systems: %s %q is not an absolute URL (https://...) or urn: %w", f.name, f.v, lifeboat.ErrInvalid)
		case strings.ContainsAny(f.v, "|, \t\n#?"):
			return fmt.Errorf("check systems: %s %q holds a |, comma, space, # or ?: %w", f.name, f.v, lifeboat.ErrInvalid)
		case f.v == NHSNumberSystem:
			return fmt.Errorf("check systems: %s is the NHS number's system: %w", f.name, lifeboat.ErrInvalid)
		case seen[f.v] != "":
			return fmt.Errorf("check systems: %s and %s are both %q: %w", seen[f.v], f.name, f.v, lifeboat.ErrInvalid)
		}
		seen[f.v] = f.name
	}
	return nil
}

// Code systems.
const (
	loinc    = "http://loinc.org"
	snomed   = "http://snomed.info/sct"
	ucum     = "http://unitsofmeasure.org"
	dmd      = "https://dmd.nhs.uk"
	obsCat   = "http://terminology.hl7.org/CodeSystem/observation-category"
	physType = "http://terminology.hl7.org/CodeSystem/location-physical-type"
	v20116   = "http://terminology.hl7.org/CodeSystem/v2-0116"
	actCode  = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	provType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
)

// IdentQuery is the FHIR search "identifier=system|value" of a
// conditional create or update, escaped per RFC 3986: unescaped, a "#" in
// a value ends the URL (the rest is a fragment, so the condition matches
// another resource or none), "&" starts another parameter, "+" is a space
// and "%" starts an escape. The value is url.QueryEscape'd whole; the
// system keeps its ":" and "/" (legal in a query, RFC 3986 3.4) and has the
// rest escaped. The "|" between them stays literal: it is FHIR's token
// separator, and servers split at the first one (Medplum and HAPI alike),
// so a "|" inside the value needs no more. A "," in the value is escaped
// "\," first (R4 3.1.1.5.7): bare, it makes the search an OR of two values.
// "\|" and "\\" are not used: Medplum does not unescape them (tested in
// TestSend_MedplumHostileIdentifiers). Systems never hold "|" or ","
// (CheckSystems).
func IdentQuery(system, value string) string {
	return "identifier=" + systemEscaper.Replace(url.QueryEscape(system)) + "|" + url.QueryEscape(strings.ReplaceAll(value, ",", `\,`))
}

var systemEscaper = strings.NewReplacer("%3A", ":", "%2F", "/")

// idSpace is the UUIDv5 namespace of exported resource ids.
var idSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://lifeboat.example/fhir"))

// ResourceID is the deterministic FHIR id of the resource an event (or
// one part of it, "eventID#part") becomes: UUIDv5 in Lifeboat's namespace.
// It is uuid.NewSHA1(idSpace, key) without its hasher and copies: export
// makes several per event.
func ResourceID(key string) string {
	var buf [128]byte
	sum := sha1.Sum(append(append(buf[:0], idSpace[:]...), key...))
	var id uuid.UUID
	copy(id[:], sum[:])
	id[6] = id[6]&0x0f | 0x50 // version 5
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id.String()
}

// Bundle is a FHIR R4 Bundle as exported and as returned by a server.
//
// A transaction's Provenance (who recorded its records, on which device,
// during downtime) is its last entry. When a record fills the Bundle alone
// (an observation set with its Patient is 8 entries, the default size, and
// Medplum refuses a conditional transaction of more than 8), it is kept
// apart in Provenance instead: Send posts it right after the transaction,
// its targets the resources the server answered with; files for an
// integration engine carry it inside the transaction (Whole).
type Bundle struct {
	ResourceType string  `json:"resourceType"`
	Type         string  `json:"type"`
	Entry        []Entry `json:"entry"`
	Provenance   *Entry  `json:"-"`
	// Patient is the Lifeboat patient whose records the Bundle holds ("" for
	// records about no patient: bed states). Send keeps one patient's
	// Bundles in order and sends different patients' side by side. Not sent.
	Patient string `json:"-"`
}

// Whole is b with its Provenance as the last entry (its targets the
// records' fullUrls), as written to files.
func (b Bundle) Whole() Bundle {
	if b.Provenance == nil {
		return b
	}
	b.Entry = append(slices.Clip(b.Entry), *b.Provenance)
	b.Provenance = nil
	return b
}

// Entry is one Bundle entry. Events names the Lifeboat events whose
// back-entry status follows this entry's outcome; it is not sent.
type Entry struct {
	FullURL  string    `json:"fullUrl,omitempty"`
	Resource *Resource `json:"resource,omitempty"`
	Request  *Request  `json:"request,omitempty"`
	Events   []string  `json:"-"`
}

// Request is Bundle.entry.request.
type Request struct {
	Method      string `json:"method"`
	URL         string `json:"url"`
	IfNoneExist string `json:"ifNoneExist,omitempty"`
}

// Resource holds the fields of every resource type Lifeboat exports; a
// field is only set on the types that have it. Name and Performer differ
// in shape between types, so they are any.
type Resource struct {
	ResourceType  string        `json:"resourceType"`
	ID            string        `json:"id,omitempty"`
	Meta          *Meta         `json:"meta,omitempty"`
	Extension     []Extension   `json:"extension,omitempty"`
	Identifier    any           `json:"identifier,omitempty"` // []Identifier; *Identifier on QuestionnaireResponse
	Status        string        `json:"status,omitempty"`
	Active        *bool         `json:"active,omitempty"`
	StatusReason  []Codeable    `json:"statusReason,omitempty"`
	Questionnaire string        `json:"questionnaire,omitempty"`
	Name          any           `json:"name,omitempty"`
	Gender        string        `json:"gender,omitempty"`
	BirthDate     string        `json:"birthDate,omitempty"`
	Link          []PatientLink `json:"link,omitempty"` // Patient: replaced-by after a merge
	// Location
	OperationalStatus *Coding   `json:"operationalStatus,omitempty"`
	PhysicalType      *Codeable `json:"physicalType,omitempty"`
	PartOf            *Ref      `json:"partOf,omitempty"`
	// Encounter
	Class    *Coding  `json:"class,omitempty"`
	Location []EncLoc `json:"location,omitempty"`
	Period   *Period  `json:"period,omitempty"`
	// Observation and medicines
	Category                  []Codeable  `json:"category,omitempty"`
	Code                      *Codeable   `json:"code,omitempty"`
	MedicationCodeableConcept *Codeable   `json:"medicationCodeableConcept,omitempty"`
	Subject                   *Ref        `json:"subject,omitempty"`
	EffectiveDateTime         string      `json:"effectiveDateTime,omitempty"`
	Issued                    string      `json:"issued,omitempty"`
	Performer                 any         `json:"performer,omitempty"`
	ValueQuantity             *Quantity   `json:"valueQuantity,omitempty"`
	ValueCodeableConcept      *Codeable   `json:"valueCodeableConcept,omitempty"`
	ValueInteger              *int        `json:"valueInteger,omitempty"`
	Note                      []Note      `json:"note,omitempty"`
	DerivedFrom               []Ref       `json:"derivedFrom,omitempty"`
	Component                 []Component `json:"component,omitempty"`
	Method                    *Codeable   `json:"method,omitempty"`
	Request                   *Ref        `json:"request,omitempty"` // MedicationAdministration: its order
	Dosage                    *Dosage     `json:"dosage,omitempty"`
	Quantity                  *Quantity   `json:"quantity,omitempty"`
	WhenHandedOver            string      `json:"whenHandedOver,omitempty"`
	// AllergyIntolerance
	ClinicalStatus     *Codeable  `json:"clinicalStatus,omitempty"`
	VerificationStatus *Codeable  `json:"verificationStatus,omitempty"`
	Patient            *Ref       `json:"patient,omitempty"`
	RecordedDate       string     `json:"recordedDate,omitempty"`
	Recorder           *Ref       `json:"recorder,omitempty"`
	Reaction           []Reaction `json:"reaction,omitempty"`
	// QuestionnaireResponse
	Authored string   `json:"authored,omitempty"`
	Author   *Ref     `json:"author,omitempty"`
	Item     []QRItem `json:"item,omitempty"`
	// Provenance
	Target         []Ref       `json:"target,omitempty"`
	OccurredPeriod *Period     `json:"occurredPeriod,omitempty"`
	Recorded       string      `json:"recorded,omitempty"`
	Reason         []Codeable  `json:"reason,omitempty"`
	Agent          []ProvAgent `json:"agent,omitempty"`
}

// Meta is Resource.meta: the downtime tag.
type Meta struct {
	Tag []Coding `json:"tag,omitempty"`
}

// ProvAgent is Provenance.agent: a person (by name, with their role) or
// the device the record was made on.
type ProvAgent struct {
	Type *Codeable  `json:"type,omitempty"`
	Role []Codeable `json:"role,omitempty"`
	Who  Ref        `json:"who"`
}

// PatientLink is a Patient's link to another record of the same person.
type PatientLink struct {
	Other Ref    `json:"other"`
	Type  string `json:"type"` // replaced-by, replaces, refer, seealso
}

// Identifiers returns r's identifiers whether it holds a list or one.
func (r *Resource) Identifiers() []Identifier {
	switch v := r.Identifier.(type) {
	case []Identifier:
		return v
	case *Identifier:
		return []Identifier{*v}
	}
	return nil
}

// addIdentifier adds id: QuestionnaireResponse has at most one.
func (r *Resource) addIdentifier(id Identifier) {
	if r.ResourceType == "QuestionnaireResponse" {
		r.Identifier = &id
		return
	}
	r.Identifier = append(r.Identifiers(), id)
}

// The small FHIR datatypes.
type (
	// Extension carries performed-at and recorded-at.
	Extension struct {
		URL           string `json:"url"`
		ValueDateTime string `json:"valueDateTime"`
	}
	// Identifier is a system and value.
	Identifier struct {
		System string `json:"system"`
		Value  string `json:"value"`
	}
	// Coding is one code.
	Coding struct {
		System  string `json:"system,omitempty"`
		Code    string `json:"code,omitempty"`
		Display string `json:"display,omitempty"`
	}
	// Codeable is a CodeableConcept.
	Codeable struct {
		Coding []Coding `json:"coding,omitempty"`
		Text   string   `json:"text,omitempty"`
	}
	// Ref is a Reference: literal (a fullUrl), or logical (an
	// identifier) with a display.
	Ref struct {
		Reference  string      `json:"reference,omitempty"`
		Identifier *Identifier `json:"identifier,omitempty"`
		Display    string      `json:"display,omitempty"`
	}
	// Quantity is a UCUM quantity.
	Quantity struct {
		Value  float64 `json:"value"`
		Unit   string  `json:"unit,omitempty"`
		System string  `json:"system,omitempty"`
		Code   string  `json:"code,omitempty"`
	}
	// Period is a start and optional end.
	Period struct {
		Start string `json:"start,omitempty"`
		End   string `json:"end,omitempty"`
	}
	// EncLoc is Encounter.location.
	EncLoc struct {
		Location Ref     `json:"location"`
		Status   string  `json:"status,omitempty"`
		Period   *Period `json:"period,omitempty"`
	}
	// Component is Observation.component.
	Component struct {
		Code                 Codeable  `json:"code"`
		ValueQuantity        *Quantity `json:"valueQuantity,omitempty"`
		ValueCodeableConcept *Codeable `json:"valueCodeableConcept,omitempty"`
	}
	// Note is an Annotation.
	Note struct {
		Text string `json:"text"`
	}
	// Dosage is MedicationAdministration.dosage.
	Dosage struct {
		Route *Codeable `json:"route,omitempty"`
		Dose  *Quantity `json:"dose,omitempty"`
	}
	// Reaction is AllergyIntolerance.reaction.
	Reaction struct {
		Manifestation []Codeable `json:"manifestation"`
		Severity      string     `json:"severity,omitempty"`
	}
	// Actor is a performer with an actor reference.
	Actor struct {
		Actor Ref `json:"actor"`
	}
	// HumanName is a Patient name.
	HumanName struct {
		Use    string   `json:"use,omitempty"`
		Family string   `json:"family,omitempty"`
		Given  []string `json:"given,omitempty"`
	}
	// QRItem is a QuestionnaireResponse item.
	QRItem struct {
		LinkID string     `json:"linkId"`
		Answer []QRAnswer `json:"answer,omitempty"`
	}
	// QRAnswer is one answer; one value is set.
	QRAnswer struct {
		ValueString  *string  `json:"valueString,omitempty"`
		ValueDecimal *float64 `json:"valueDecimal,omitempty"`
		ValueInteger *int64   `json:"valueInteger,omitempty"`
		ValueBoolean *bool    `json:"valueBoolean,omitempty"`
	}
)

// fhirTime is a FHIR dateTime/instant in UTC.
func fhirTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
