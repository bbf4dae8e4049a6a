package documents

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// lineSummary is what a test checks of a ShipLine.
type lineSummary struct {
	HL, UPC, Qty, Unit, PO, ShipTo, ShipFrom, ShipDate, Delivery, Carrier, BOL, Marks string
}

func summarize(lines []ShipLine) []lineSummary {
	var out []lineSummary
	for _, l := range lines {
		s := lineSummary{
			HL: l.HL, UPC: FindID(l.IDs, "UP"), Qty: string(l.Quantity), Unit: l.Unit, PO: l.PurchaseOrder,
			ShipDate: l.ShipDate, Delivery: l.DeliveryDate, Carrier: l.Carrier, BOL: l.BillOfLading,
			Marks: strings.Join(l.Marks, ","),
		}
		if l.ShipTo != nil {
			s.ShipTo = l.ShipTo.ID
		}
		if l.ShipFrom != nil {
			s.ShipFrom = l.ShipFrom.ID
		}
		out = append(out, s)
	}
	return out
}

func TestLines(t *testing.T) {
	asn, _ := readFile(t, "testdata/856.ASN.edi")
	crossdock, _ := readFile(t, "testdata/856.Crossdock.OK.edi")
	tests := []struct {
		name string
		tx   *x12.Transaction
		want []lineSummary
	}{
		{"0001 S/O/P/I", asn[0], []lineSummary{
			{"4", "012345678905", "24", "EA", "PO-88120", "DC4", "RNO1", "20261124", "20261127", "ODFL", "BOL-7781203", "00106141411234567893"},
			{"5", "012345678912", "6", "CA", "PO-88120", "DC4", "RNO1", "20261124", "20261127", "ODFL", "BOL-7781203", "00106141411234567893"},
			{"7", "012345678929", "12", "EA", "PO-88120", "DC4", "RNO1", "20261124", "20261127", "ODFL", "BOL-7781203", "00106141411234567909"},
			{"10", "012345678905", "48", "EA", "PO-88125", "DC4", "RNO1", "20261124", "20261127", "ODFL", "BOL-7781203", "00106141411234567916"},
		}},
		{"0004 S/O/I, header ship date", asn[1], []lineSummary{
			{"3", "012345678905", "10", "EA", "PO-88130", "S112", "", "20261124", "", "UPSN", "1Z999AA10123456784", ""},
			{"4", "012345678929", "2.0", "EA", "PO-88130", "S112", "", "20261124", "", "UPSN", "1Z999AA10123456784", ""},
		}},
		{"crossdock", crossdock[0], []lineSummary{
			{"4", "0000000000642", "12", "EA", "POREF00", "0001", "000009", "20090921", "20090925", "OVNT", "000001", "00000715670002152360"},
			{"6", "", "12", "EA", "POREF00", "0001", "000009", "20090921", "20090925", "OVNT", "000001", "00000715670002152377"},
			{"8", "0000000000283", "12", "EA", "POREF00", "0001", "000009", "20090921", "20090925", "OVNT", "000001", "00000715670002152384"},
			{"10", "0000000000203", "12", "EA", "POREF00", "0001", "000009", "20090921", "20090925", "OVNT", "000001", "00000715670002152391"},
			{"13", "0000000000642", "12", "EA", "POREF01", "0001", "000009", "20090921", "20090925", "OVNT", "000001", "00000715670002152111"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sn, err := Decode856(tt.tx)
			if err != nil {
				t.Fatal(err)
			}
			if got := summarize(sn.Lines()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lines:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestLinesItemThenPack covers structure 0002 (S/O/I/P): packs under
// items, whose marks belong to the item, and an order-level ship-to that
// overrides the shipment's.
func TestLinesItemThenPack(t *testing.T) {
	sn := &ShipNotice856{
		Purpose: "00", ShipmentID: "S1", Date: "20261124", Structure: "0002",
		Hierarchy: []*HL{{
			ID: "1", Level: LevelShipment,
			Parties: []Party{{Entity: "ST", ID: "DC4"}},
			Dates:   []DateTime{{Qualifier: "011", Date: "20261124"}},
			Children: []*HL{{
				ID: "2", Parent: "1", Level: LevelOrder, Order: &OrderRef{PurchaseOrder: "PO-1"},
				Parties: []Party{{Entity: "ST", ID: "STORE9"}},
				Children: []*HL{{
					ID: "3", Parent: "2", Level: LevelItem,
					Item:    &LineItem{IDs: []ProductID{{"UP", "012345678905"}}},
					Shipped: &ShipQuantity{Quantity: "48", Unit: "EA"},
					Children: []*HL{
						{ID: "4", Parent: "3", Level: LevelPack, Marks: []Mark{{Qualifier: "GM", Number: "A1"}}},
						{ID: "5", Parent: "3", Level: LevelPack, Marks: []Mark{{Qualifier: "GM", Number: "A2"}}},
					},
				}},
			}},
		}},
	}
	want := []lineSummary{{HL: "3", UPC: "012345678905", Qty: "48", Unit: "EA", PO: "PO-1", ShipTo: "STORE9", ShipDate: "20261124", Marks: "A1,A2"}}
	if got := summarize(sn.Lines()); !reflect.DeepEqual(got, want) {
		t.Errorf("Lines:\n got %+v\nwant %+v", got, want)
	}
	if n := sn.Count(); n != 5 {
		t.Errorf("Count = %d, want 5", n)
	}
}
