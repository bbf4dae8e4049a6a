// Package specs holds X12 transaction set specs as embedded data and the
// validator that reads them.
//
// # What is covered
//
// Sets 846 (inventory inquiry/advice), 850 (purchase order), 856 (ship
// notice/manifest), 940 (warehouse shipping order), 943 (warehouse stock
// transfer shipment advice), 944 (warehouse stock transfer receipt
// advice), 945 (warehouse shipping advice), 947 (warehouse inventory
// adjustment advice) and 997 (functional acknowledgment) in releases
// 004010 and 005010, and 999 (implementation acknowledgment,
// 005010X231) in 005010. The data was written for Dockside from the
// structure of the X12 standard (segment order, loops, requirements, max
// use, element types and lengths, syntax notes); code lists were checked
// against the public dictionary of an MIT-licensed engine. It is not a full
// copy of the standard: see "Limits" below.
//
// # Use
//
//	cat, err := specs.Load()        // parses and checks the data once
//	o := cat.Check(tx)              // tx from x12.Decoder's SetRead event
//	o.Result                        // x12.SetResult: status, AK5 codes, AK3/AK4 errors
//	o.Support, o.Version, o.Release // which spec was applied, if any
//
// The spec is chosen by the group's release (GS08 without its suffix): the
// same version, or the nearest lower one with the same major (004060 and
// 004050 use 004010; 005050 uses 005010). With no usable version
// (003040) or no spec for the set (210, 214), Check returns the envelope
// findings plus AK502 code 1 (set not supported) and says so in
// Outcome.Support, so the caller can decide to accept such sets anyway.
//
// # Data layout
//
// The data lives in data/<version>/ (version = six digits, e.g. 004010):
//
//	elements.json   the element dictionary and the composites
//	segments.json   every segment used by the sets of the version
//	<set>.json      one file per transaction set, e.g. 846.json
//
// elements.json:
//
//	{"version": "004010",
//	 "elements": {
//	   "373": {"name": "date", "type": "DT", "min": 8, "max": 8},
//	   "355": {"name": "unit of measure", "type": "ID", "min": 2, "max": 2, "codes": "EA CA CS ..."}},
//	 "composites": {
//	   "C001": {"name": "composite unit of measure", "elements": ["355 M", "1018 O", ...], "syntax": ["C0504"]}}}
//
// Types are AN, ID, DT, TM, R and Nn (N0, N2...). Lengths count
// characters; for numbers they count digits only (no sign, no decimal
// point). "codes" is a space-separated code list; an ID element without
// one is checked for length and characters only. "name" is the short name
// used in messages.
//
// segments.json:
//
//	{"version": "004010",
//	 "segments": {
//	   "W01": {"name": "line item detail - warehouse",
//	           "elements": ["330 M", "355 M", "438 X", "235 X", "234 X", ...],
//	           "syntax": ["R0304", "P0405", "P0607"]}}}
//
// Each element entry is "REF REQ" or "REF REQ xN": REF is an element
// number or a composite id, REQ is M (mandatory), O (optional) or X
// (relational: governed by the syntax rules), and xN allows N repetitions
// (e.g. "C998 M x10" for 999 CTX01). Syntax rules use X12's notation with
// two-digit positions: P (paired: all or none), R (required: at least
// one), C (conditional: if the first, then all others), E (exclusion: at
// most one), L (list conditional: if the first, then at least one other).
//
// <set>.json:
//
//	{"set": "940", "version": "004010", "name": "Warehouse Shipping Order", "functionalGroup": "OW",
//	 "structure": [
//	   {"segment": "ST", "req": "M", "max": 1},
//	   {"segment": "W05", "req": "M", "max": 1},
//	   {"loop": "LX", "req": "O", "max": ">1", "content": [
//	     {"segment": "LX", "req": "M", "max": 1},
//	     {"loop": "W01", "req": "O", "max": ">1", "content": [...]}]},
//	   {"segment": "SE", "req": "M", "max": 1}]}
//
// A loop's first segment is its trigger and must be mandatory with max 1;
// "max" of a loop is its repeat count; ">1" means unbounded. Heading,
// detail and summary tables are not marked: order is what counts. Load
// rejects data that refers to an unknown element, composite or segment, a
// rule outside its segment, or an unknown field (ErrBadData, *DataError).
//
// # Validation
//
// The structure is walked with a stack of open loops: a segment matches
// the next position at or after the current one in the innermost loop,
// else the enclosing loops are closed one by one (reporting their missing
// mandatory segments) and searched the same way. A loop's trigger starts a
// new iteration (counted against the loop's repeat); mandatory segments of
// a loop are required only when the loop occurs. Findings use the 997
// AK304 codes: 1 unrecognized segment id (not in the version's
// dictionary), 2 unexpected (a segment that only exists inside a loop that
// is not open), 3 mandatory segment missing (AK302 is the segment where
// the absence was noticed), 4 loop over its repeat, 5 segment over its max
// use, 6 segment not in the set, 7 out of sequence, 8 element errors.
// AK303 is the id of the loop the segment is in.
//
// Elements use the AK403 codes: 1 mandatory missing, 2 conditional
// required missing (syntax rules), 3 too many elements, 4 too short, 5 too
// long, 6 invalid character, 7 invalid code, 8 invalid date, 9 invalid
// time, 10 exclusion violated; in 005010 also 12 too many repetitions and
// 13 too many components. An ID value with a code list is checked against
// the list only (so "<NOT_IN_CODESET>" is an invalid code, not too long).
// Each ElementError carries AK401 (position, component, repetition), AK402
// (reference number), AK404 (a copy of the bad value) and a message. The
// same numbers serve IK3/IK4 of a 999; no implementation-guide checks are
// made, so ImplCode stays empty.
//
// Validation keeps its state per call (pooled), allocates nothing per
// segment on the happy path and is safe for concurrent use.
//
// # Limits
//
// Code lists are partial where the standard's lists are long: BIA02 (755)
// has the common report types only, DTM01 (374) accepts 001-999, HL03
// (735) single characters and two digits, N101 (98) two-character
// alphanumerics. Rare segments are not in the data (e.g. PWK, TD4, TSD,
// LH1, CLD, SAC in 856; W6, R2, LS/LE in 940): they are reported as
// unrecognized. HL parent/child consistency and hash totals (CTT) are not
// checked. Segments of 846/856/940 in 005010 share the 004010 structure,
// with 005010 element lengths.
//
// The warehouse sets and the 850 (testdata/samples has a sample of each):
//   - 944: from 004020 on an LX loop wraps the W07 loop. The 005010 spec
//     requires it; the 004010 spec accepts both shapes (W07 loops, then LX
//     loops), because 004020-004060 groups resolve to it. W13 is 01
//     quantity, 02 unit, 03 receiving condition (412, no code list), 04
//     lot, 05 damage reason (853; the standard wants it when 03 is 01,
//     a note the validator does not check). G94 and G08 are not in the
//     data.
//   - 945: the LX loop (LX, MAN, N9) holds the W12 loop; W03 is optional.
//     G72, PAL, R4 are not in the data. W12 keeps 368 without a code list,
//     because TD5 of the 856 shares the element.
//   - 947: W19 reasons (181) have no code list: partners use codes of their
//     own (a "01"), so the partner profile's reason table decides, and an
//     unknown reason is refused when the set is mapped. W15 02/03 (the
//     warehouse's and the depositor's adjustment numbers, AN 1/22 in the
//     standard) use element 127 and rule P0203: both or neither.
//   - 943: W27 and W03 mandatory, W04 loop up to 10,000. W04 has no lot:
//     W0408 is the freight class (59, 2/5), W0412 pallet block and tiers;
//     a guide that puts a lot in W0408 gets AK4 code 5 for lots over 5
//     characters. W28, W10 are not in the data.
//   - 850: heading BEG, CUR, REF, PER, FOB, SAC loop, ITD, DTM, PKG, TD1,
//     TD5, TD3, MAN, N9 loop (N9, DTM, MSG), N1 loop; PO1 loop (LIN, CUR,
//     CTP, MEA, PID loop, PO4, REF, PER, SAC loop, ITD, SDQ, DTM, TD1, TD5,
//     TD3, MAN, MSG, N9 and N1 loops); CTT loop. CSH, TAX, PAM, PWK, SLN,
//     AMT loops of the line and the rarer segments are not in the data.
package specs
