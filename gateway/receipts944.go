package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
)

// Warehouse receipts (944) against a transfer: with receive_against:
// in_transit, a receipt takes what a 943 or an 856 announced at the
// receiving location off in transit. The ledger keeps in transit by item
// and location, not by transfer, so a receipt for a transfer nobody
// announced (or one the 944 reached before its 943 or 856) would post
// on hand and take nothing off, and the announcement, when it comes,
// would stay in transit for good. Such a receipt is refused instead: a
// line whose item has nothing in transit at the location fails the
// message at its W07 (997 AK5 R), nothing of the 944 is posted, and it
// can be replayed once the transfer is announced. The check reads the
// ledger before posting; a 944 whose movements were posted before (a
// crash, a resend) is not checked again.

// unknownTransferError is a receipt line that finds nothing in transit.
type unknownTransferError struct {
	m ledger.Movement // the receipt
}

func (e *unknownTransferError) Error() string {
	m := &e.m
	return fmt.Sprintf("%v: nothing is in transit for %s at %s: no 943 or 856 announced the transfer this receipt is against (%s); "+
		"nothing of the 944 was posted. Replay it once the transfer is announced, or receive it without one (receive_against: none)",
		ErrUnknownTransfer, m.SKU, m.Location, orNone(m.Reference.Order))
}

// Unwrap returns ErrUnknownTransfer.
func (e *unknownTransferError) Unwrap() error { return ErrUnknownTransfer }

func orNone(s string) string {
	if s == "" {
		return "no W17-04 or W17-05"
	}
	return "W17-04/05 " + s
}

// checkReceipts refuses a 944 with a receipt line against a transfer the
// ledger has nothing in transit for (see above).
func (w *work) checkReceipts(ctx context.Context, res *mapping.Result) error {
	if res.DocType != "x12/944" {
		return nil
	}
	var against []ledger.Movement
	for _, m := range res.Movements {
		if m.Kind == ledger.KindReceipt && m.TakeInTransit {
			against = append(against, m)
		}
	}
	if len(against) == 0 {
		return nil
	}
	if posted, err := w.g.Ledger.HasSourcePrefix(ctx, res.Key+"|"); err != nil || posted {
		return err // posted before: the ledger tells duplicates and collisions
	}
	for _, m := range against {
		b, err := w.g.Ledger.Balance(ctx, m.SKU, m.Location)
		if err != nil {
			return err
		}
		if b.InTransit <= 0 {
			return &unknownTransferError{m: m}
		}
	}
	return nil
}

// receiptRefused fails the message at the W07 of a receipt line that
// finds nothing in transit, and refuses its set (AK5 R with the AK3).
func (w *work) receiptRefused(res *mapping.Result, e *unknownTransferError) {
	r := &e.m.Reference
	place := fmt.Sprintf("%s: set 944 %s (interchange %s, group %s), segment %d (W07)", w.msg.Name, r.Transaction, r.Interchange, r.Group, r.Line)
	w.fail(place, "", "%v", e)
	w.refuse(res, e)
	seg := x12.SegmentError{SegmentID: "W07", Position: r.Line, Code: x12.SegHasElementError, Msg: e.Error()}
	if v := w.verdicts; v != nil {
		if ref, ok := v.jobs[res]; ok {
			v.refused[ref] = append(v.refused[ref], seg)
		}
	}
}

// isUnknownTransfer returns the receipt error err holds, or nil.
func isUnknownTransfer(err error) *unknownTransferError {
	var e *unknownTransferError
	if errors.As(err, &e) {
		return e
	}
	return nil
}
