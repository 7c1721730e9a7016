package forms

import (
	"slices"

	"lifeboat"
)

// Authority is who may record a kind; the store checks it on every event,
// local or from a peer.
type Authority int

// The authority rules. AuthClinical is the default: a signed-in person the
// registry knows, holding one of the kind's Roles.
const (
	AuthClinical   Authority = iota // a known person with one of Roles
	AuthPrivileged                  // an IT admin's personal key, chained to the site's root
	AuthRoot                        // the site's first event, made once by its founding device
	AuthDevice                      // a device reporting on itself (author "device:<its id>")
	AuthPINChange                   // the person themselves
)

// KindSpec is everything Lifeboat needs to know of one event kind, in one
// declaration: a new kind is one entry in kindSpecs, and tests fail when a
// kind lacks a decision (authority, export, label).
type KindSpec struct {
	Kind    string
	Label   string     // plain words for review lists and worklists: "Medicine given"
	Payload func() any // a new, empty payload value to decode into

	Authority Authority
	Roles     []lifeboat.Role // AuthClinical: the roles that may record it

	// Seen marks kinds whose meaning depends on what the recording device
	// had already seen (a dose, a bed move): Append adds its version
	// vector so concurrent records can be told from sequential ones.
	Seen bool

	// Scope is the part of the log the kind's events belong to: the site,
	// the ward of the patient or bed, or the pharmacy (see ScopeClass).
	Scope ScopeClass

	// FHIR names the resource types the kind exports as; NotExported says
	// why it is not exported. Exactly one is set.
	FHIR        []string
	NotExported string

	// Printed names the printouts that carry it ("" if none).
	Printed string
}

// ScopeClass is which kind of scope a kind's events are recorded in.
type ScopeClass int

// The scope classes. ScopeWard is the default: most kinds are a ward's
// clinical records.
const (
	ScopeWard     ScopeClass = iota // the ward of the patient, bed or register
	ScopeSite                       // lifeboat.ScopeSite
	ScopePharmacy                   // lifeboat.ScopePharmacy
)

// Exported reports whether the kind goes back to the core systems.
func (k KindSpec) Exported() bool { return len(k.FHIR) > 0 }

// everyone is every role.
var everyone = lifeboat.Roles

// Role sets the screens give.
var (
	pharmacyRoles = []lifeboat.Role{lifeboat.RolePharmacist}
	cdRoles       = []lifeboat.Role{lifeboat.RolePharmacist, lifeboat.RoleWardStaff, lifeboat.RoleBreakGlass}
	bedRoles      = []lifeboat.Role{lifeboat.RoleWardStaff, lifeboat.RoleBedManager, lifeboat.RoleITAdmin, lifeboat.RoleBreakGlass}
	wardRoles     = []lifeboat.Role{lifeboat.RoleITAdmin, lifeboat.RoleBedManager}
	// mergeRoles may merge two records of one person: the ward staff who
	// registered the arrival and know the patient in front of them, the
	// bed manager who runs patient flow (the ward clerk's job), and the IT
	// admin who matches temporary IDs against the core system on the
	// Reconcile screen. Not a pharmacist's call, nor break-glass: a wrong
	// merge puts one person's medicines on another's chart.
	mergeRoles = []lifeboat.Role{lifeboat.RoleWardStaff, lifeboat.RoleBedManager, lifeboat.RoleITAdmin}
)

const (
	notClinical = "Lifeboat's own site, device and staff record; the core systems keep their own"
	printedMAR  = "patient record (MAR)"
)

// kindSpecs is every kind Lifeboat records.
var kindSpecs = []KindSpec{
	{Kind: lifeboat.KindSiteCreated, Scope: ScopeSite, Label: "Site set-up", Payload: func() any { return new(lifeboat.SiteCreated) }, Authority: AuthRoot, NotExported: notClinical},
	{Kind: lifeboat.KindDeviceEnrolled, Scope: ScopeSite, Label: "Device enrolment", Payload: func() any { return new(lifeboat.DeviceEnrolled) }, Authority: AuthPrivileged, NotExported: notClinical},
	{Kind: lifeboat.KindDeviceRevoked, Scope: ScopeSite, Label: "Device revocation", Payload: func() any { return new(lifeboat.DeviceRevoked) }, Authority: AuthPrivileged, NotExported: notClinical},
	{Kind: lifeboat.KindSiteKeyRotated, Scope: ScopeSite, Label: "Site key change", Payload: func() any { return new(lifeboat.SiteKeyRotated) }, Authority: AuthPrivileged, NotExported: notClinical},
	{Kind: lifeboat.KindSiteKeyStep, Scope: ScopeSite, Label: "Site key change step", Payload: func() any { return new(lifeboat.SiteKeyStep) }, Authority: AuthDevice, NotExported: notClinical},
	{Kind: lifeboat.KindScopeKey, Scope: ScopeSite, Label: "Ward key handed to devices", Payload: func() any { return new(lifeboat.ScopeKey) }, Authority: AuthDevice, NotExported: notClinical},
	{Kind: lifeboat.KindDeviceScopes, Scope: ScopeSite, Label: "Device scopes", Payload: func() any { return new(lifeboat.DeviceScopes) }, Authority: AuthPrivileged, NotExported: notClinical},
	{Kind: lifeboat.KindSiteKeyShared, Scope: ScopeSite, Label: "Site key handed to a new device", Payload: func() any { return new(lifeboat.SiteKeyShared) }, Authority: AuthDevice, NotExported: notClinical},
	{Kind: lifeboat.KindUserSaved, Scope: ScopeSite, Label: "Staff account", Payload: func() any { return new(lifeboat.UserRecord) }, Authority: AuthPrivileged, NotExported: notClinical},
	{Kind: lifeboat.KindPINChanged, Scope: ScopeSite, Label: "PIN change", Payload: func() any { return new(lifeboat.PINChange) }, Authority: AuthPINChange, NotExported: notClinical},
	{Kind: lifeboat.KindEnteredInError, Label: "Entered in error", Payload: func() any { return new(lifeboat.EnteredInError) }, Roles: everyone, FHIR: []string{"(status of the corrected resource)"}},

	{Kind: KindPatientRegistered, Label: "Patient details", Payload: func() any { return new(Patient) }, Roles: everyone, FHIR: []string{"Patient"}, Printed: printedMAR},
	{Kind: KindPatientAdmitted, Label: "Admission", Payload: func() any { return new(Admission) }, Roles: everyone, Seen: true, FHIR: []string{"Encounter"}},
	{Kind: KindPatientTransferred, Label: "Transfer", Payload: func() any { return new(Transfer) }, Roles: everyone, Seen: true, FHIR: []string{"Encounter"}},
	{Kind: KindPatientDischarged, Label: "Discharge", Payload: func() any { return new(Discharge) }, Roles: everyone, Seen: true, FHIR: []string{"Encounter"}},
	{Kind: KindPatientHandoff, Label: "Records handed to a ward", Payload: func() any { return new(PatientHandoff) }, Authority: AuthDevice, NotExported: "copies of records exported from the ward that made them"},
	{Kind: KindPatientMerged, Label: "Records merged", Payload: func() any { return new(PatientMerge) }, Roles: mergeRoles, FHIR: []string{"Patient"}},
	{Kind: KindObsRecorded, Label: "Observations", Payload: func() any { return new(Observations) }, Roles: everyone, FHIR: []string{"Observation"}, Printed: "patient record (NEWS2 chart)"},
	{Kind: KindNEWS2Scale, Label: "SpO2 scale", Payload: func() any { return new(SpO2ScaleSetting) }, Roles: everyone, NotExported: "the choice of SpO2 scale is the clinician's, recorded in the core system's notes; here it only shapes NEWS2", Printed: "patient record (NEWS2 chart)"},
	{Kind: KindMedOrdered, Label: "Medicine order", Payload: func() any { return new(MedicationOrder) }, Roles: everyone, NotExported: "orders come from the core system's snapshot; downtime orders are re-prescribed there (back-entry worklist)", Printed: printedMAR},
	{Kind: KindMedStopped, Label: "Medicine stopped", Payload: func() any { return new(MedicationStop) }, Roles: everyone, NotExported: "re-prescribed in the core system with the order", Printed: printedMAR},
	{Kind: KindMedAdministered, Label: "Medicine given", Payload: func() any { return new(Administration) }, Roles: everyone, Seen: true, FHIR: []string{"MedicationAdministration"}, Printed: printedMAR},
	{Kind: KindAllergyRecorded, Label: "Allergy", Payload: func() any { return new(Allergy) }, Roles: everyone, FHIR: []string{"AllergyIntolerance"}, Printed: printedMAR},
	{Kind: KindAllergyNoneKnown, Label: "No known allergies", Payload: func() any { return new(NoKnownAllergies) }, Roles: everyone, FHIR: []string{"AllergyIntolerance"}, Printed: printedMAR},
	{Kind: KindWeightRecorded, Label: "Weight", Payload: func() any { return new(Weight) }, Roles: everyone, FHIR: []string{"Observation"}, Printed: printedMAR},
	{Kind: KindHandoverNote, Label: "Handover note", Payload: func() any { return new(HandoverNote) }, Roles: everyone, NotExported: "ward handover is working information, not part of the record", Printed: "handover sheet"},
	{Kind: KindHandoverTask, Label: "Handover task", Payload: func() any { return new(HandoverTask) }, Roles: everyone, NotExported: "ward handover is working information, not part of the record", Printed: "handover sheet"},
	{Kind: KindHandoverTaskDone, Label: "Handover task done", Payload: func() any { return new(HandoverTaskDone) }, Roles: everyone, NotExported: "ward handover is working information, not part of the record", Printed: "handover sheet"},
	{Kind: KindFormSubmitted, Label: "Form", Payload: func() any { return new(FormSubmission) }, Roles: everyone, FHIR: []string{"QuestionnaireResponse"}},
	{Kind: KindBedState, Label: "Bed state", Payload: func() any { return new(BedStateSet) }, Roles: bedRoles, Seen: true, FHIR: []string{"Location"}},
	{Kind: KindWardDefined, Scope: ScopeSite, Label: "Ward set-up", Payload: func() any { return new(Ward) }, Roles: wardRoles, NotExported: "the core system holds the ward's real layout"},
	{Kind: KindWardSummary, Scope: ScopeSite, Label: "Ward capacity summary", Payload: func() any { return new(WardSummaryReport) }, Authority: AuthDevice, NotExported: "Lifeboat's own count of a ward's beds for the site's views; the core system counts its own"},
	{Kind: KindCDEntry, Label: "Controlled drug register entry", Payload: func() any { return new(CDEntry) }, Roles: cdRoles, NotExported: "the paper or electronic CD register is reconciled by pharmacy from the printed register", Printed: "CD register"},
	{Kind: KindPharmacyTaskDone, Scope: ScopeSite, Label: "Pharmacy task done", Payload: func() any { return new(PharmacyTaskDone) }, Roles: pharmacyRoles, NotExported: "pharmacy's continuity checklist, not patient care"},
	{Kind: KindPharmacySupply, Scope: ScopePharmacy, Label: "Pharmacy supply", Payload: func() any { return new(PharmacySupply) }, Roles: pharmacyRoles, FHIR: []string{"MedicationDispense"}},
	{Kind: KindStockLevel, Scope: ScopePharmacy, Label: "Stock level", Payload: func() any { return new(StockLevel) }, Roles: pharmacyRoles, NotExported: "stock is counted again when the pharmacy system returns"},
	{Kind: KindCensusImported, Scope: ScopeSite, Label: "Census import", Payload: func() any { return new(CensusImported) }, Roles: everyone, NotExported: "the census is the core system's own data, imported for context"},
	{Kind: KindFeedStatus, Scope: ScopeSite, Label: "Core system feed", Payload: func() any { return new(FeedStatus) }, Roles: []lifeboat.Role{lifeboat.RoleITAdmin}, NotExported: "Lifeboat's own record of when the core system stopped and started answering"},
	{Kind: KindReconStatus, Label: "Back-entry status", Payload: func() any { return new(BackEntryChange) }, Roles: everyone, NotExported: "Lifeboat's own back-entry worklist; the core system holds the records it tracks"},
}

// Kinds returns every kind Lifeboat records, in declaration order.
func Kinds() []KindSpec { return slices.Clone(kindSpecs) }

// Spec returns the declaration of kind; ok is false for a kind this
// version of Lifeboat does not know (a newer peer's).
func Spec(kind string) (KindSpec, bool) {
	i := slices.IndexFunc(kindSpecs, func(k KindSpec) bool { return k.Kind == kind })
	if i < 0 {
		return KindSpec{}, false
	}
	return kindSpecs[i], true
}
