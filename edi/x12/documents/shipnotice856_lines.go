package documents

// ShipLine is one item of an 856 with what the mapping needs from the
// levels above it: its order's purchase order, its shipment's parties,
// dates and carrier, and its pack marks.
type ShipLine struct {
	HL            string      `json:"hl"`             // the item's HL01
	Pos           int         `json:"pos,omitempty"`  // the item HL's number in the set
	Line          string      `json:"line,omitempty"` // LIN01
	IDs           []ProductID `json:"ids"`            // LIN ids by qualifier
	Description   string      `json:"description,omitempty"`
	Quantity      Decimal     `json:"quantity"` // SN102, units shipped
	Unit          string      `json:"unit"`     // SN103
	ShipmentID    string      `json:"shipment_id"`
	PurchaseOrder string      `json:"purchase_order,omitempty"` // PRF01 of the nearest order
	OrderDate     string      `json:"order_date,omitempty"`     // PRF04
	ShipTo        *Party      `json:"ship_to,omitempty"`        // the nearest N1*ST, item first
	ShipFrom      *Party      `json:"ship_from,omitempty"`      // the nearest N1*SF
	ShipDate      string      `json:"ship_date,omitempty"`      // the nearest DTM*011, else the header's
	DeliveryDate  string      `json:"delivery_date,omitempty"`  // the nearest DTM*017, else the header's
	Carrier       string      `json:"carrier,omitempty"`        // the nearest TD5's SCAC
	BillOfLading  string      `json:"bill_of_lading,omitempty"` // the nearest REF*BM
	// Marks are the MAN numbers of the packs and tares around the item:
	// above it (0001 S/O/P/I) or below it (0002 S/O/I/P).
	Marks []string `json:"marks,omitempty"`
}

// Lines returns every item HL (level I) of the notice, in order, with the
// order, shipment and pack data that apply to it. The parties point into
// the notice.
func (sn *ShipNotice856) Lines() []ShipLine {
	var lines []ShipLine
	sn.Walk(func(hl *HL, up []*HL) bool {
		if hl.Level != LevelItem {
			return true
		}
		l := ShipLine{HL: hl.ID, Pos: hl.Pos, ShipmentID: sn.ShipmentID, Description: FreeText(hl.Descriptions)}
		if hl.Item != nil {
			l.Line, l.IDs = hl.Item.Line, hl.Item.IDs
		}
		if hl.Shipped != nil {
			l.Quantity, l.Unit = hl.Shipped.Quantity, hl.Shipped.Unit
		}
		// Nearest first: the item itself, then its ancestors upwards.
		for i := len(up); i >= 0; i-- {
			n := hl
			if i < len(up) {
				n = up[i]
			}
			l.inherit(n)
		}
		if d := FindDate(sn.Dates, "011"); l.ShipDate == "" && d != nil {
			l.ShipDate = d.Date
		}
		if d := FindDate(sn.Dates, "017"); l.DeliveryDate == "" && d != nil {
			l.DeliveryDate = d.Date
		}
		for _, c := range hl.Children {
			l.Marks = appendMarks(l.Marks, c)
		}
		lines = append(lines, l)
		return true
	})
	return lines
}

// inherit fills the fields of l that are still empty from n.
func (l *ShipLine) inherit(n *HL) {
	if l.PurchaseOrder == "" && n.Order != nil {
		l.PurchaseOrder, l.OrderDate = n.Order.PurchaseOrder, n.Order.Date
	}
	if l.ShipTo == nil {
		l.ShipTo = FindParty(n.Parties, "ST")
	}
	if l.ShipFrom == nil {
		l.ShipFrom = FindParty(n.Parties, "SF")
	}
	if d := FindDate(n.Dates, "011"); l.ShipDate == "" && d != nil {
		l.ShipDate = d.Date
	}
	if d := FindDate(n.Dates, "017"); l.DeliveryDate == "" && d != nil {
		l.DeliveryDate = d.Date
	}
	if l.Carrier == "" {
		for i := range n.Carriers {
			if c := n.Carriers[i].SCAC(); c != "" {
				l.Carrier = c
				break
			}
		}
	}
	if r := FindRef(n.Refs, "BM"); l.BillOfLading == "" && r != nil {
		l.BillOfLading = r.ID
	}
	if n.Level == LevelPack || n.Level == LevelTare || n.Level == LevelSubpack {
		for _, m := range n.Marks {
			l.Marks = append(l.Marks, m.Number)
		}
	}
}

// appendMarks adds the marks of pack n and the packs below it.
func appendMarks(marks []string, n *HL) []string {
	if n.Level == LevelPack || n.Level == LevelTare || n.Level == LevelSubpack {
		for _, m := range n.Marks {
			marks = append(marks, m.Number)
		}
	}
	for _, c := range n.Children {
		marks = appendMarks(marks, c)
	}
	return marks
}
