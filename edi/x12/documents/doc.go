// Package documents turns validated X12 transaction sets into Go types and
// back: the 846 Inventory Inquiry/Advice (Inventory846), the 850 Purchase
// Order (PurchaseOrder850), the 856 Ship Notice/Manifest (ShipNotice856),
// the 940 Warehouse Shipping Order (ShippingOrder940) and the warehouse
// advices: 943 Stock Transfer Shipment (TransferShipment943), 944 Stock
// Transfer Receipt (ReceiptAdvice944, in the 004010 shape and in the LX
// shape of 004020 and later), 945 Shipping Advice (ShippingAdvice945) and
// 947 Inventory Adjustment (AdjustmentAdvice947). Any other set decodes to
// a Generic list of segments.
//
// Decode takes an *x12.Transaction (ST..SE, as the x12 Decoder or x12.Check
// yields it, normally after the specs validator accepted it) and returns a
// Document; Decode846, Decode850, Decode856, Decode940, Decode943,
// Decode944, Decode945 and Decode947 return the concrete types.
// The decoded values own their strings: they do not alias the decoder's
// buffers and stay valid after the next set is read. A decoding problem is a
// *DecodeError naming the segment, its number in the set (ST = 1, as AK302
// counts) and the element, and wrapping one of the sentinel errors.
//
// Every document encodes back with an *x12.Writer (Encode writes ST..SE;
// the caller writes the envelopes). Decoding then encoding a set gives the
// same segments when the set follows the standard's segment order:
//
//   - elements without a field of their own are kept in Extra, by position;
//   - segments a typed loop does not model are kept, in order, in the loop's
//     Other list and written after the loop's modeled segments (before its
//     nested loops);
//   - Extra and Other hold composite and repeated elements with the
//     components joined by '>' and repetitions by '^' (the delimiters of
//     x12.DefaultDelimiters), whatever the interchange used, and the encoder
//     translates them to the Writer's delimiters.
//
// What does not survive a round trip: segments in a non-standard order
// within a loop (they come back in the standard order), 856 HL loops not in
// depth-first order (they come back depth-first, ids kept) and trailing
// empty elements. Numbers are kept as written.
//
// Quantities are kept as written (type Decimal, e.g. "12.0" or "-3") and
// checked to be X12 decimal numbers; Decimal.Int64 gives the whole number.
//
// Decoding is built for large 846s: the strings of a document are cut from
// a few shared chunks and short codes are interned per set, and items,
// ids, quantities and descriptions come from a few large arrays, so a set
// of 10,000 items costs about a hundred allocations. The flip side: keeping
// one string of a document keeps its chunk (up to 64 KiB) alive.
//
// A stream of large 846s goes faster through a Pool: Pool.Decode decodes
// like Decode, and Pool.Release gives a document's arrays back for the
// next 846 to reuse, so that the garbage collector has almost nothing to
// do. A released document must not be used again (its strings stay valid).
package documents
