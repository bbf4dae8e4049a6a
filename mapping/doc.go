// Package mapping turns a partner's inbound documents into ledger
// movements, as the partner's profile says, and ledger balances back into
// the partner's 846.
//
// Inbound:
//   - 846: each QTY qualifier goes to the bucket the profile names (a
//     snapshot or an adjustment, per the document's content); the location
//     comes from the header N1, an item-level N1 or the SDQ pairs; the
//     effective time from BIA04/05 or a DTM.
//   - 856: an inbound ASN posts in-transit stock at the ship-to location,
//     due on the expected date; a shipment confirmation posts a shipment
//     out of the ship-from location against the order named in PRF.
//   - 940: each W01 line is allocated at the N1*WH warehouse for the W05
//     order. The order is identified by partner + W05-02, not by control
//     numbers (partners re-send orders under new ones): the result's Order
//     is settled against the order as it stands (Result.SettleOrder, see
//     order.go). W05-01 N re-sent for an open order with the same lines is
//     a duplicate, with other lines an error naming both documents; F
//     (cancel) releases what the order holds; R (change) releases it and
//     allocates the new lines in one document.
//   - 850: a retail channel's purchase order allocates like a 940: each
//     PO1 line at the location the profile names (an 850 names the
//     retailer's stores, not our warehouse), for the order BEG03 (/BEG04
//     for a release). BEG01 00 opens it, 01 cancels it, 05 replaces it,
//     through the same Result.SettleOrder; 04, 06 and 07 are refused.
//   - CSV, fixed-width and Excel files: snapshots or adjustments, one per
//     row.
//   - 943: each W04 line is in transit at the destination (N1*ST), due on
//     the G62 date the profile names.
//   - 944: each W07 line is a receipt into on hand at the receiving
//     location (N1*WH), taking the quantity off in transit when the
//     profile says receive_against: in_transit (a short receipt leaves the
//     rest in transit); W13 exceptions move their quantity to damaged or
//     quarantined per the profile's conditions table.
//   - 947: each W19 line goes through the profile's reason table: ± on
//     hand, or a move between available and damaged or quarantined; an
//     unknown reason or a sign against the reason's direction is a problem
//     with its place.
//
// Item ids go through the profile's qualifier order and cross-reference
// table, units through its conversions, locations through its warehouse
// table. Every movement's source key is the place it comes from (partner +
// interchange + group + transaction + segment, or partner + file hash +
// row), so posting the same document again changes nothing. The
// interchange part is ISA13@ISA09ISA10: partners reuse control numbers
// (they wrap, some restart daily), and yesterday's numbers on today's
// file are another document. Keys of earlier versions had no date
// (Result.LegacyKey): the gateway checks them before posting.
//
// A line that cannot be mapped is a Problem with its place, field, value
// and reason. By default one problem rejects the whole document (no
// movements); a profile's on_error: post_good keeps the good lines.
//
// A flat file is read as a stream within FlatLimits (rows, problems, the
// readers' record and workbook limits): a file over one of them, or one
// the reader cannot finish (a damaged workbook), is rejected whole,
// whatever on_error says.
//
// A large 846's movements are many (330 bytes each): a caller done with a
// result (posted it) hands its slices back with Result.Release, and the
// mapper's next large document reuses them instead of allocating.
package mapping
