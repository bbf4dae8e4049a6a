package documents

import (
	"errors"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// TestWarehouseEncodeText encodes documents built in Go and checks the
// segments: both 944 shapes, W12 and W19 element positions, the 850's
// Other segments at their places.
func TestWarehouseEncodeText(t *testing.T) {
	line := func(lx string) Line944 {
		return Line944{LX: lx, Quantity: "10", Unit: "EA", IDs: []ProductID{{"VN", "A"}}, Lot: "L1",
			Exceptions: []ReceiptException{{Quantity: "1", Unit: "EA", Condition: "01"}}}
	}
	ra := func(lx1, lx2 string) *ReceiptAdvice944 {
		return &ReceiptAdvice944{ReportingCode: "F", ReceivedDate: "20261124", ReceiptNumber: "R1", DepositorOrder: "O1",
			WarehouseHeading: WarehouseHeading{Parties: []Party{{Entity: "WH", IDQualifier: "92", ID: "DC"}}},
			Lines:            []Line944{line(lx1), line(lx2)}, Totals: &ReceiptTotals{Quantity: "20"}}
	}
	tests := []struct {
		name string
		doc  Document
		want string
	}{
		{"944 004010 shape", ra("", ""), "ST*944*0042\nW17*F*20261124*R1*O1\nN1*WH**92*DC\nW07*10*EA**VN*A***L1\nW13*1*EA*01\n" +
			"W07*10*EA**VN*A***L1\nW13*1*EA*01\nW14*20\nSE*9*0042\n"},
		{"944 LX shape", ra("1", "2"), "ST*944*0042\nW17*F*20261124*R1*O1\nN1*WH**92*DC\nLX*1\nW07*10*EA**VN*A***L1\nW13*1*EA*01\n" +
			"LX*2\nW07*10*EA**VN*A***L1\nW13*1*EA*01\nW14*20\nSE*11*0042\n"},
		{"945", &ShippingAdvice945{Shipment: WarehouseShipment{ReportingCode: "F", DepositorOrder: "SO-1", ShipmentID: "S1"},
			Carrier: &CarrierDetail{TransportMethod: "M", SCAC: "UPSN"},
			Lines: []Line945{{LX: "1", Status: ShipPartialBackorder, Ordered: "8", Shipped: "4", Difference: "4", Unit: "EA",
				IDs: []ProductID{{"VN", "A"}, {"UP", "012345678905"}}, Lot: "L9", LineDetail: LineDetail{Refs: []Reference{{Qualifier: "LI", ID: "3"}}}}},
			Totals: &ShipmentTotals{Units: "4"}},
			"ST*945*0042\nW06*F*SO-1**S1\nW27*M*UPSN\nLX*1\nW12*BP*8*4*4*EA**VN*A*L9********UP*012345678905\nN9*LI*3\nW03*4\nSE*8*0042\n"},
		{"947", &AdjustmentAdvice947{Date: "20261126", WarehouseAdjustment: "A1",
			Lines: []Line947{{Reason: "AA", Quantity: "-4", Unit: "EA", IDs: []ProductID{{"VN", "A"}}, Lot: "L1", TransactionType: "XX",
				LineDetail: LineDetail{Dates: []OrderDate{{Qualifier: "07", Date: "20261125"}}}}}},
			"ST*947*0042\nW15*20261126*A1\nW19*AA*-4*EA**VN*A***L1*******XX\nG62*07*20261125\nSE*5*0042\n"},
		{"943", &TransferShipment943{Shipment: WarehouseShipment{ReportingCode: "F", DepositorOrder: "O1", Date: "20261120"},
			WarehouseHeading: WarehouseHeading{Dates: []OrderDate{{Qualifier: "17", Date: "20261124"}}},
			Carrier:          &CarrierDetail{TransportMethod: "M"}, Lines: []Line943{{Quantity: "2", Unit: "CA", CaseUPC: "012345678905"}},
			Totals: &ShipmentTotals{Units: "2", Weight: "40", WeightUnit: "LB"}},
			"ST*943*0042\nW06*F*O1*20261120\nG62*17*20261124\nW27*M\nW04*2*CA*012345678905\nW03*2*40*LB\nSE*7*0042\n"},
		{"850", &PurchaseOrder850{Purpose: POOriginal, Type: "SA", Number: "PO-1", Date: "20261120",
			Refs: []Reference{{Qualifier: "DP", ID: "042"}}, Dates: []DateTime{{Qualifier: "002", Date: "20261201"}},
			Parties: []Party{{Entity: "ST", IDQualifier: "92", ID: "0017"}},
			Other:   []Segment{{ID: "CUR", Elements: []string{"BY", "USD"}}, {ID: "ITD", Elements: []string{"01"}}, {ID: "TD5", Elements: []string{"", "2", "UPSN"}}},
			Lines: []Line850{{LineID: "1", Quantity: "6", Unit: "EA", UnitPrice: "9.5", IDs: []ProductID{{"VN", "A"}},
				Destinations: []LocationQuantities{{Unit: "EA", IDQualifier: "92", Quantities: []LocationQuantity{{"0017", "4"}, {"0018", "2"}}}},
				Other:        []Segment{{ID: "PID", Elements: []string{"F", "", "", "", "THING"}}, {ID: "DTM", Elements: []string{"002", "20261201"}}}}},
			Totals: &Totals{Count: "1", Hash: "6"}},
			"ST*850*0042\nBEG*00*SA*PO-1**20261120\nCUR*BY*USD\nREF*DP*042\nITD*01\nDTM*002*20261201\nTD5**2*UPSN\nN1*ST**92*0017\n" +
				"PO1*1*6*EA*9.5**VN*A\nPID*F****THING\nSDQ*EA*92*0017*4*0018*2\nDTM*002*20261201\nCTT*1*6\nSE*14*0042\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := setText(t, x12.DefaultDelimiters, "004010", tc.doc); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestWarehouseEncodeErrors: a document missing what its set requires does
// not encode.
func TestWarehouseEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  Document
		want error
	}{
		{"944 without receipt number", &ReceiptAdvice944{ReportingCode: "F", ReceivedDate: "20261124"}, ErrMissingElement},
		{"944 W13 without condition", &ReceiptAdvice944{ReportingCode: "F", ReceivedDate: "20261124", ReceiptNumber: "R",
			Lines: []Line944{{Quantity: "1", Unit: "EA", Exceptions: []ReceiptException{{Quantity: "1", Unit: "EA"}}}}}, ErrMissingElement},
		{"945 without reporting code", &ShippingAdvice945{}, ErrMissingElement},
		{"945 W12 without status", &ShippingAdvice945{Shipment: WarehouseShipment{ReportingCode: "F"}, Lines: []Line945{{Shipped: "1"}}}, ErrMissingElement},
		{"945 bad quantity", &ShippingAdvice945{Shipment: WarehouseShipment{ReportingCode: "F"}, Lines: []Line945{{Status: "CC", Shipped: "1x"}}}, ErrBadNumber},
		{"947 without date", &AdjustmentAdvice947{}, ErrMissingElement},
		{"947 W19 without unit", &AdjustmentAdvice947{Date: "20261126", Lines: []Line947{{Reason: "AA", Quantity: "1"}}}, ErrMissingElement},
		{"943 W03 without units", &TransferShipment943{Shipment: WarehouseShipment{ReportingCode: "F"}, Totals: &ShipmentTotals{}}, ErrMissingElement},
		{"850 without PO number", &PurchaseOrder850{Purpose: "00"}, ErrMissingElement},
		{"850 bad SDQ quantity", &PurchaseOrder850{Purpose: "00", Number: "P", Lines: []Line850{{Destinations: []LocationQuantities{{Unit: "EA", Quantities: []LocationQuantity{{"1", "x"}}}}}}}, ErrBadNumber},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ok := tryEncode(tc.doc)
			if ok {
				t.Fatal("encoded")
			}
			w, _ := x12.NewWriter(discard{}, x12.DefaultDelimiters)
			must(t, w.BeginInterchange(x12.InterchangeHeader{SenderID: "A", ReceiverID: "B", Control: 1}))
			must(t, w.BeginGroup(x12.GroupHeader{FunctionalID: "XX", AppSender: "A", AppReceiver: "B", Control: 1, Version: "004010"}))
			if err := tc.doc.Encode(w, "0001", "004010"); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
