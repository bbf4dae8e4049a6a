package mapping

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
)

// Transaction decodes an X12 transaction set and maps it by its type
// (846, 850, 856, 940, 943, 944 or 947).
func (m *Mapper) Transaction(t *x12.Transaction, src Source) (*Result, error) {
	doc, err := documents.Decode(t)
	if err != nil {
		return nil, fmt.Errorf("decoding %s %s: %w", t.SetID, t.Control, err)
	}
	return m.Document(doc, src)
}

// Document maps a decoded X12 document by its type (846, 850, 856, 940,
// 943, 944 or 947).
func (m *Mapper) Document(doc documents.Document, src Source) (*Result, error) {
	switch d := doc.(type) {
	case *documents.Inventory846:
		return m.Inventory846(d, src)
	case *documents.ShipNotice856:
		return m.ShipNotice856(d, src)
	case *documents.ShippingOrder940:
		return m.ShippingOrder940(d, src)
	case *documents.PurchaseOrder850:
		return m.PurchaseOrder850(d, src)
	case *documents.TransferShipment943:
		return m.TransferShipment943(d, src)
	case *documents.ReceiptAdvice944:
		return m.ReceiptAdvice944(d, src)
	case *documents.AdjustmentAdvice947:
		return m.AdjustmentAdvice947(d, src)
	}
	return nil, fmt.Errorf("transaction set %s: %w", doc.SetID(), ErrNoMapping)
}
