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
	// above it, nearest first (0001 S/O/P/I), then below it down to the
	// next item (0002 S/O/I/P). Lines under the same pack may share this
	// slice: copy it before changing it.
	Marks []string `json:"marks,omitempty"`
}

// inherited is what an HL hands down to the HLs below it: for each field
// the value of the nearest HL (itself included) that has one.
type inherited struct {
	order        *OrderRef
	shipTo       *Party
	shipFrom     *Party
	shipDate     string
	deliveryDate string
	carrier      string
	billOfLading string
	marks        []string // pack and tare marks, nearest first; shared, never appended to in place
}

// below returns what n hands down to its children, given what its parent
// handed down to it.
func (in inherited) below(n *HL) inherited {
	// The nearest PRF with a purchase order; failing that, the farthest.
	if n.Order != nil && (in.order == nil || n.Order.PurchaseOrder != "") {
		in.order = n.Order
	}
	if p := FindParty(n.Parties, "ST"); p != nil {
		in.shipTo = p
	}
	if p := FindParty(n.Parties, "SF"); p != nil {
		in.shipFrom = p
	}
	if d := FindDate(n.Dates, "011"); d != nil && d.Date != "" {
		in.shipDate = d.Date
	}
	if d := FindDate(n.Dates, "017"); d != nil && d.Date != "" {
		in.deliveryDate = d.Date
	}
	for i := range n.Carriers {
		if c := n.Carriers[i].SCAC(); c != "" {
			in.carrier = c
			break
		}
	}
	if r := FindRef(n.Refs, "BM"); r != nil && r.ID != "" {
		in.billOfLading = r.ID
	}
	if isPackLevel(n.Level) && len(n.Marks) > 0 {
		marks := make([]string, 0, len(n.Marks)+len(in.marks))
		for _, m := range n.Marks {
			marks = append(marks, m.Number)
		}
		in.marks = append(marks, in.marks...)
	}
	return in
}

func isPackLevel(level string) bool {
	return level == LevelPack || level == LevelTare || level == LevelSubpack
}

// Lines returns every item HL (level I) of the notice, in order, with the
// order, shipment and pack data that apply to it. The parties point into
// the notice.
//
// It makes one depth-first pass over the tree (iterative: a deep tree
// cannot overflow the stack), handing each HL's data down to its children,
// so its time is linear in the number of HLs; marks above an item cost
// their number once per pack, not once per item.
func (sn *ShipNotice856) Lines() []ShipLine {
	var lines []ShipLine
	var shipDate, deliveryDate string
	if d := FindDate(sn.Dates, "011"); d != nil {
		shipDate = d.Date
	}
	if d := FindDate(sn.Dates, "017"); d != nil {
		deliveryDate = d.Date
	}
	type visit struct {
		hl    *HL
		depth int // index of the HL's parent's data in down, plus one
	}
	var stack []visit
	var down []inherited // down[i]: what the HL at depth i hands down, on the current path
	push := func(nodes []*HL, depth int) {
		for i := len(nodes) - 1; i >= 0; i-- {
			stack = append(stack, visit{nodes[i], depth})
		}
	}
	push(sn.Hierarchy, 0)
	var scratch []*HL
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		down = down[:v.depth]
		var up inherited
		if v.depth > 0 {
			up = down[v.depth-1]
		}
		in := up.below(v.hl)
		down = append(down, in)
		push(v.hl.Children, v.depth+1)
		if v.hl.Level != LevelItem {
			continue
		}
		hl := v.hl
		l := ShipLine{HL: hl.ID, Pos: hl.Pos, ShipmentID: sn.ShipmentID, Description: FreeText(hl.Descriptions),
			ShipTo: in.shipTo, ShipFrom: in.shipFrom, ShipDate: in.shipDate, DeliveryDate: in.deliveryDate,
			Carrier: in.carrier, BillOfLading: in.billOfLading}
		if hl.Item != nil {
			l.Line, l.IDs = hl.Item.Line, hl.Item.IDs
		}
		if hl.Shipped != nil {
			l.Quantity, l.Unit = hl.Shipped.Quantity, hl.Shipped.Unit
		}
		if in.order != nil {
			l.PurchaseOrder, l.OrderDate = in.order.PurchaseOrder, in.order.Date
		}
		if l.ShipDate == "" {
			l.ShipDate = shipDate
		}
		if l.DeliveryDate == "" {
			l.DeliveryDate = deliveryDate
		}
		l.Marks = in.marks[:len(in.marks):len(in.marks)]
		if len(l.Marks) == 0 {
			l.Marks = nil
		}
		l.Marks, scratch = appendMarksBelow(l.Marks, hl, scratch)
		lines = append(lines, l)
	}
	return lines
}

// appendMarksBelow adds the marks of the packs below item, in depth-first
// order, down to the next item (whose packs are its own). Each HL is thus
// looked at by one item at most. scratch is a reusable stack.
func appendMarksBelow(marks []string, item *HL, scratch []*HL) ([]string, []*HL) {
	stack := scratch[:0]
	for i := len(item.Children) - 1; i >= 0; i-- {
		stack = append(stack, item.Children[i])
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Level == LevelItem {
			continue
		}
		if isPackLevel(n.Level) {
			for _, m := range n.Marks {
				marks = append(marks, m.Number)
			}
		}
		for i := len(n.Children) - 1; i >= 0; i-- {
			stack = append(stack, n.Children[i])
		}
	}
	return marks, stack
}
