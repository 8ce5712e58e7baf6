package order

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/change"
	"orderdesk/ent"
	"orderdesk/ent/ordercorrection"
	"orderdesk/ent/orderline"
	"orderdesk/ent/stockitem"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notify"
	"orderdesk/payment"
	"orderdesk/postal"
	"orderdesk/stock"
	"orderdesk/store"
)

// CorrectionLine changes one line; nil fields stay.
type CorrectionLine struct {
	OrderLineID int
	Quantity    *int
	UnitPrice   *string
	Discount    *string
	StockItemID *int // a product swap
}

// Contact changes the customer's contact details.
type Contact struct {
	ContactName, Email, Phone *string
}

// CorrectRequest corrects an order not yet shipped, against the version the
// client saw.
type CorrectRequest struct {
	OrderID                  int
	ExpectedVersion          int64
	ErrorType                string
	Cause                    string
	Lines                    []CorrectionLine
	ShippingAddress          *postal.Address
	Contact                  *Contact
	Note                     string
	CustomerConfirmed        bool
	CustomerConfirmationNote string
	DryRun                   bool   `json:"-"`
	IdempotencyKey           string `json:"-"`
}

// CorrectionPreview is what a correction does, or would do in a dry run.
type CorrectionPreview struct {
	Severity    ordercorrection.Severity
	Applies     bool
	Diff        []change.Field
	TotalBefore int64
	TotalAfter  int64
	RefundDue   int64
	AmountDue   int64
	Currency    string
}

// MoneyEffect names what the correction means for money.
func MoneyEffect(refundDue, amountDue int64) string {
	switch {
	case refundDue > 0:
		return "REFUND_DUE"
	case amountDue > 0:
		return "AMOUNT_DUE"
	default:
		return "NONE"
	}
}

// Correct fixes an error on a PENDING_REVIEW or CONFIRMED order (seed 004):
// line quantities, prices or products, the shipping address, the
// customer's contact. Reservations follow the new quantities (failing
// cleanly with INSUFFICIENT_STOCK); the correction records every field
// before and after and the money effect: a refund due when a paid order's
// total drops, an amount due when it rises. A SEVERE correction — a product
// swapped, or the total moving by more than the policy's threshold — needs
// the customer's confirmation recorded and a sales manager's approval: it
// applies at once when a manager makes it, and otherwise waits. Needs
// order:correct.
func (s *Service) Correct(ctx context.Context, r CorrectRequest) (*Result, *CorrectionPreview, error) {
	if _, err := auth.Require(ctx, auth.OrderCorrect); err != nil {
		return nil, nil, err
	}
	if err := validateCorrection(r); err != nil {
		return nil, nil, err
	}
	var preview *CorrectionPreview
	act := func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := check(o.Status, Correct); err != nil {
			return nil, err
		}
		if err := checkVersion(o, &r.ExpectedVersion); err != nil {
			return nil, err
		}
		res, p, err := s.correct(ctx, tx, o, r)
		preview = p
		return res, err
	}
	if r.DryRun {
		err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
			if _, err := act(ctx, tx); err != nil {
				return err
			}
			return errDryRun
		})
		if err != errDryRun {
			return nil, nil, err
		}
		o, err := s.client.Order.Get(ctx, r.OrderID)
		return &Result{Order: o}, preview, err
	}
	res, err := s.run(ctx, "correctOrder", r.IdempotencyKey, r, act)
	if err != nil {
		return nil, nil, err
	}
	if preview == nil && res.Correction != nil { // an idempotent replay
		preview = CorrectionPreviewOf(res.Correction)
	}
	return res, preview, nil
}

func validateCorrection(r CorrectRequest) error {
	var errs fault.List
	if ordercorrection.ErrorTypeValidator(ordercorrection.ErrorType(r.ErrorType)) != nil {
		errs.Add(fault.Invalid, "input.errorType", "is not an error type")
	}
	if ordercorrection.CauseValidator(ordercorrection.Cause(r.Cause)) != nil {
		errs.Add(fault.Invalid, "input.cause", "is not a cause")
	}
	errs.Text("input.note", r.Note, 2000, r.ErrorType == "OTHER")
	errs.Text("input.customerConfirmationNote", r.CustomerConfirmationNote, 2000, false)
	if len(r.Lines) == 0 && r.ShippingAddress == nil && r.Contact == nil {
		errs.Add(fault.Invalid, "input", "nothing to correct: give lines, shippingAddress or customerContact")
	}
	checkAddress(&errs, r.ShippingAddress)
	if c := r.Contact; c != nil {
		if c.ContactName != nil {
			errs.Text("input.customerContact.contactName", *c.ContactName, 200, false)
		}
		if c.Phone != nil {
			errs.Text("input.customerContact.phone", *c.Phone, 50, false)
		}
		if c.Email != nil {
			e := strings.TrimSpace(*c.Email)
			if a, err := mail.ParseAddress(e); e != "" && (err != nil || a.Address != e) {
				errs.Add(fault.Invalid, "input.customerContact.email", "is not an email address")
			}
		}
	}
	for i, l := range r.Lines {
		if l.Quantity != nil {
			errs.Quantity(fmt.Sprintf("input.lines.%d.quantity", i), *l.Quantity, 1, stock.MaxQuantity)
		}
	}
	return errs.Err()
}

// plannedLine is a line as the correction would leave it.
type plannedLine struct {
	line                        *ent.OrderLine
	item                        *ent.StockItem // the new product, on a swap
	qty                         int
	unit, discount, listPrice   int64
	sku, name                   string
	stockItemID                 int
	quantityChanged, priceOrSku bool
}

// correct plans the correction, decides its severity, records it, and
// applies it when it may apply now.
func (s *Service) correct(ctx context.Context, tx *ent.Tx, o *ent.Order, r CorrectRequest) (*Result, *CorrectionPreview, error) {
	v := auth.FromContext(ctx)
	plan, diff, swapped, err := planLines(ctx, tx, o, r.Lines)
	if err != nil {
		return nil, nil, err
	}
	if r.ShippingAddress != nil {
		diff = append(diff, change.Field{Field: "shippingAddress", Before: formatAddress(o.ShippingAddress), After: formatAddress(r.ShippingAddress)})
	}
	c, err := tx.Customer.Get(ctx, o.CustomerID)
	if err != nil {
		return nil, nil, err
	}
	if k := r.Contact; k != nil {
		for _, f := range []struct {
			name   string
			before string
			after  *string
		}{{"customer.contactName", c.ContactName, k.ContactName}, {"customer.email", c.Email, k.Email}, {"customer.phone", c.Phone, k.Phone}} {
			if f.after != nil && strings.TrimSpace(*f.after) != f.before {
				diff = append(diff, change.Field{Field: f.name, Before: f.before, After: strings.TrimSpace(*f.after)})
			}
		}
	}
	if len(diff) == 0 {
		return nil, nil, fault.New(fault.Invalid, "input", "the correction changes nothing")
	}
	after := o.TotalMinor
	for _, p := range plan {
		open := func(q int, unit, disc int64) int64 { return int64(q-p.line.QuantityCancelled) * (unit - disc) }
		after += open(p.qty, p.unit, p.discount) - open(p.line.Quantity, p.line.UnitPriceMinor, p.line.DiscountMinor)
	}
	delta := after - o.TotalMinor
	severity := ordercorrection.SeverityMINOR
	if swapped || max(delta, -delta) > s.policy.SevereAmountMinor {
		severity = ordercorrection.SeveritySEVERE
	}
	if severity == ordercorrection.SeveritySEVERE && !r.CustomerConfirmed {
		return nil, nil, fault.New(fault.ApprovalRequired, "input.customerConfirmed",
			"a severe correction (%s) needs the customer's confirmation recorded", severityWhy(swapped, delta, o.Currency))
	}
	applies := severity == ordercorrection.SeverityMINOR || v.Can(auth.OrderCorrectApprove)
	request, err := json.Marshal(r)
	if err != nil {
		return nil, nil, err
	}
	status := ordercorrection.StatusPENDING_APPROVAL
	if applies {
		status = ordercorrection.StatusAPPLIED
	}
	rec, err := tx.OrderCorrection.Create().SetOrderID(o.ID).SetErrorType(ordercorrection.ErrorType(r.ErrorType)).
		SetCause(ordercorrection.Cause(r.Cause)).SetSeverity(severity).SetStatus(status).SetDiff(diff).
		SetRequest(request).SetNote(strings.TrimSpace(r.Note)).SetCustomerConfirmed(r.CustomerConfirmed).
		SetCustomerConfirmationNote(strings.TrimSpace(r.CustomerConfirmationNote)).
		SetTotalBeforeMinor(o.TotalMinor).SetTotalAfterMinor(after).SetCurrency(o.Currency).
		SetExpectedVersion(r.ExpectedVersion).SetNillableRequestedByID(v.ActorID()).Save(ctx)
	if err != nil {
		return nil, nil, err
	}
	id := o.ID
	if !applies {
		if err := audit.Record(ctx, tx, audit.Event{Action: "correction.requested", SubjectType: "OrderCorrection",
			SubjectID: rec.ID, OrderID: &id, To: string(rec.Status), Reason: rec.Note,
			After: map[string]any{"severity": severity, "diff": diff}}); err != nil {
			return nil, nil, err
		}
		err := notify.Send(ctx, tx, new(notify.Recipients).Role(auth.SalesManager), notify.Notice{
			Kind: "correction.awaiting_approval", Title: "Severe correction of " + o.Number + " awaits approval",
			Body: severityWhy(swapped, delta, o.Currency), SubjectType: "OrderCorrection", SubjectID: rec.ID, OrderID: &id})
		return &Result{Order: o, Correction: rec}, CorrectionPreviewOf(rec), err
	}
	res, err := s.applyCorrection(ctx, tx, o, c, rec, plan, r)
	if err != nil {
		return nil, nil, err
	}
	return res, CorrectionPreviewOf(res.Correction), nil
}

func severityWhy(swapped bool, delta int64, currency string) string {
	if swapped {
		return "a product is swapped"
	}
	return "the total changes by " + money.Format(delta, currency)
}

// planLines validates the line changes and returns the lines as they would
// be, the diff, and whether a product is swapped.
func planLines(ctx context.Context, tx *ent.Tx, o *ent.Order, changes []CorrectionLine) ([]*plannedLine, []change.Field, bool, error) {
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	byID := map[int]*ent.OrderLine{}
	for _, l := range lines {
		byID[l.ID] = l
	}
	var (
		errs    fault.List
		plan    []*plannedLine
		diff    []change.Field
		swapped bool
		seen    = map[int]bool{}
	)
	for i, x := range changes {
		field := fmt.Sprintf("input.lines.%d", i)
		l := byID[x.OrderLineID]
		if l == nil || seen[x.OrderLineID] {
			errs.Add(fault.NotFound, field+".orderLineId", "not a line of this order, or given twice")
			continue
		}
		seen[l.ID] = true
		p := &plannedLine{line: l, qty: l.Quantity, unit: l.UnitPriceMinor, discount: l.DiscountMinor,
			listPrice: l.ListPriceMinor, sku: l.Sku, name: l.Name, stockItemID: l.StockItemID}
		if x.StockItemID != nil && *x.StockItemID != l.StockItemID {
			it, err := tx.StockItem.Query().Where(stockitem.ID(*x.StockItemID)).Only(ctx)
			switch {
			case ent.IsNotFound(err):
				errs.Add(fault.NotFound, field+".stockItemId", "no such stock item")
				continue
			case err != nil:
				return nil, nil, false, err
			case !it.Active || it.Currency != o.Currency:
				errs.Add(fault.Invalid, field+".stockItemId", "%s is not sold in %s", it.Sku, o.Currency)
				continue
			}
			p.item, p.stockItemID, p.sku, p.name, p.listPrice, p.unit = it, it.ID, it.Sku, it.Name, it.UnitPriceMinor, it.UnitPriceMinor
			diff = append(diff, change.Field{Field: "lines." + l.Sku + ".product", Before: l.Sku, After: it.Sku})
			swapped = true
		}
		if x.Quantity != nil && *x.Quantity != l.Quantity {
			if *x.Quantity-l.QuantityCancelled < 1 {
				errs.Add(fault.Invalid, field+".quantity", "must stay above the %d units cancelled", l.QuantityCancelled)
			}
			p.qty = *x.Quantity
			diff = append(diff, change.Field{Field: "lines." + l.Sku + ".quantity", Before: fmt.Sprint(l.Quantity), After: fmt.Sprint(p.qty)})
		}
		if x.UnitPrice != nil {
			p.unit = price(&errs, field+".unitPrice", *x.UnitPrice, o.Currency)
		}
		if p.unit != l.UnitPriceMinor {
			diff = append(diff, change.Field{Field: "lines." + l.Sku + ".unitPrice",
				Before: money.Format(l.UnitPriceMinor, o.Currency), After: money.Format(p.unit, o.Currency)})
		}
		if x.Discount != nil {
			p.discount = price(&errs, field+".discount", *x.Discount, o.Currency)
			if p.discount != l.DiscountMinor {
				diff = append(diff, change.Field{Field: "lines." + l.Sku + ".discount",
					Before: money.Format(l.DiscountMinor, o.Currency), After: money.Format(p.discount, o.Currency)})
			}
		}
		if p.discount > p.unit {
			errs.Add(fault.Invalid, field+".discount", "is larger than the unit price")
		}
		plan = append(plan, p)
	}
	return plan, diff, swapped, errs.Err()
}

// applyCorrection writes the planned lines, moves reservations of a
// CONFIRMED order to the new quantities and products, updates address and
// customer contact, and records the money effect.
func (s *Service) applyCorrection(ctx context.Context, tx *ent.Tx, o *ent.Order, c *ent.Customer, rec *ent.OrderCorrection, plan []*plannedLine, r CorrectRequest) (*Result, error) {
	id, recID := o.ID, rec.ID
	if o.Status == Confirmed {
		// Releases before reservations, each in stock item order, so the
		// locks are taken in one order and freed stock can be reserved.
		type move struct {
			item, qty int
			reserve   bool
		}
		var moves []move
		for _, p := range plan {
			want := p.qty - p.line.QuantityCancelled - p.line.QuantityShipped
			if p.stockItemID != p.line.StockItemID {
				moves = append(moves, move{p.line.StockItemID, p.line.QuantityReserved, false}, move{p.stockItemID, want, true})
			} else if d := want - p.line.QuantityReserved; d != 0 {
				moves = append(moves, move{p.stockItemID, max(d, -d), d > 0})
			}
		}
		slices.SortFunc(moves, func(a, b move) int {
			if a.reserve != b.reserve {
				return map[bool]int{false: -1, true: 1}[a.reserve]
			}
			return cmp.Compare(a.item, b.item)
		})
		for _, m := range moves {
			if m.qty == 0 {
				continue
			}
			mv := stock.Release(m.item, m.qty)
			if m.reserve {
				mv = stock.Reserve(m.item, m.qty)
			}
			mv.OrderID, mv.CorrectionID, mv.Reason = &id, &recID, "correction"
			if _, err := stock.Apply(ctx, tx, mv); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range plan {
		u := tx.OrderLine.UpdateOne(p.line).SetQuantity(p.qty).SetUnitPriceMinor(p.unit).SetDiscountMinor(p.discount).
			SetStockItemID(p.stockItemID).SetSku(p.sku).SetName(p.name).SetListPriceMinor(p.listPrice)
		if o.Status == Confirmed {
			u.SetQuantityReserved(p.qty - p.line.QuantityCancelled - p.line.QuantityShipped)
		}
		if err := u.Exec(ctx); err != nil {
			return nil, err
		}
	}
	o, err := retotal(ctx, tx, o)
	if err != nil {
		return nil, err
	}
	if o, err = touch(ctx, tx, o, func(u *ent.OrderUpdateOne) {
		if r.ShippingAddress != nil {
			u.SetShippingAddress(r.ShippingAddress)
		}
	}); err != nil {
		return nil, err
	}
	if k := r.Contact; k != nil {
		u := tx.Customer.UpdateOne(c).AddVersion(1)
		if k.ContactName != nil {
			u.SetContactName(strings.TrimSpace(*k.ContactName))
		}
		if k.Email != nil {
			u.SetEmail(strings.ToLower(strings.TrimSpace(*k.Email)))
		}
		if k.Phone != nil {
			u.SetPhone(strings.TrimSpace(*k.Phone))
		}
		if err := u.Exec(ctx); err != nil {
			return nil, err
		}
	}
	refundDue := max(0, payment.Refundable(o)-o.TotalMinor)
	amountDue := int64(0)
	if payment.Refundable(o) > 0 {
		amountDue = payment.Outstanding(o)
	}
	if rec, err = tx.OrderCorrection.UpdateOne(rec).SetStatus(ordercorrection.StatusAPPLIED).
		SetTotalAfterMinor(o.TotalMinor).SetRefundDueMinor(refundDue).SetAmountDueMinor(amountDue).AddVersion(1).Save(ctx); err != nil {
		return nil, err
	}
	before, after := map[string]any{}, map[string]any{}
	for _, d := range rec.Diff {
		before[d.Field], after[d.Field] = d.Before, d.After
	}
	delta := o.TotalMinor - rec.TotalBeforeMinor
	if err := audit.Record(ctx, tx, audit.Event{Action: "order.corrected", SubjectType: "Order", SubjectID: o.ID, OrderID: &id,
		Reason: fmt.Sprintf("%s/%s (%s) %s", rec.ErrorType, rec.Cause, rec.Severity, rec.Note), Amount: &delta, Currency: o.Currency,
		Before: before, After: after}); err != nil {
		return nil, err
	}
	to := new(notify.Recipients).User(o.OwnerID).User(rec.RequestedByID)
	if refundDue > 0 || amountDue > 0 {
		to.Role(auth.Finance)
	}
	err = notify.Send(ctx, tx, to, notify.Notice{Kind: "order.corrected",
		Title: fmt.Sprintf("Order %s corrected (%s)", o.Number, strings.ToLower(string(rec.ErrorType))),
		Body: fmt.Sprintf("Total %s → %s; %s.", money.Format(rec.TotalBeforeMinor, o.Currency), money.Format(o.TotalMinor, o.Currency),
			strings.ToLower(strings.ReplaceAll(MoneyEffect(refundDue, amountDue), "_", " "))),
		SubjectType: "OrderCorrection", SubjectID: rec.ID, OrderID: &id})
	return &Result{Order: o, Correction: rec}, err
}

// CorrectionPreviewOf states what a recorded correction did, or will do
// once approved.
func CorrectionPreviewOf(rec *ent.OrderCorrection) *CorrectionPreview {
	return &CorrectionPreview{Severity: rec.Severity, Applies: rec.Status == ordercorrection.StatusAPPLIED, Diff: rec.Diff,
		TotalBefore: rec.TotalBeforeMinor, TotalAfter: rec.TotalAfterMinor, RefundDue: rec.RefundDueMinor,
		AmountDue: rec.AmountDueMinor, Currency: rec.Currency}
}

func formatAddress(a *postal.Address) string {
	if a == nil {
		return ""
	}
	parts := []string{a.Name, a.Line1, a.Line2, strings.TrimSpace(a.PostalCode + " " + a.City), a.Region, a.Country}
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), ", ")
}

// CorrectionDecisionRequest approves or rejects a pending correction.
type CorrectionDecisionRequest struct {
	CorrectionID   int
	Note           string
	IdempotencyKey string `json:"-"`
}

// ApproveCorrection applies a pending severe correction, exactly as it was
// requested, provided the order has not changed since (VERSION_CONFLICT
// otherwise: reject it and correct again). The requester cannot approve
// their own correction. Needs order:correct:approve.
func (s *Service) ApproveCorrection(ctx context.Context, r CorrectionDecisionRequest) (*Result, error) {
	return s.decideCorrection(ctx, "approveCorrection", r, true)
}

// RejectCorrection rejects a pending severe correction with a note.
func (s *Service) RejectCorrection(ctx context.Context, r CorrectionDecisionRequest) (*Result, error) {
	return s.decideCorrection(ctx, "rejectCorrection", r, false)
}

func (s *Service) decideCorrection(ctx context.Context, op string, r CorrectionDecisionRequest, approve bool) (*Result, error) {
	v, err := auth.Require(ctx, auth.OrderCorrectApprove)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	note := errs.Text("input.note", r.Note, 2000, !approve)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, op, r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		rec, err := tx.OrderCorrection.Get(ctx, r.CorrectionID)
		if ent.IsNotFound(err) {
			return nil, fault.New(fault.NotFound, "input.correctionId", "no such correction")
		}
		if err != nil {
			return nil, err
		}
		o, err := lock(ctx, tx, rec.OrderID)
		if err != nil {
			return nil, err
		}
		if rec, err = tx.OrderCorrection.Query().Where(ordercorrection.ID(rec.ID)).Modify(store.ForUpdate).Only(ctx); err != nil {
			return nil, err
		}
		if rec.Status != ordercorrection.StatusPENDING_APPROVAL {
			return nil, fault.New(fault.InvalidTransition, "input.correctionId", "the correction is %s already", rec.Status)
		}
		if rec.RequestedByID != nil && *rec.RequestedByID == v.UserID {
			return nil, fault.New(fault.NotAllowed, "", "you requested this correction; another manager must decide it")
		}
		id := o.ID
		if !approve {
			rec, err = tx.OrderCorrection.UpdateOne(rec).SetStatus(ordercorrection.StatusREJECTED).SetDecidedAt(s.now()).
				SetNillableDecidedByID(v.ActorID()).SetDecisionNote(note).AddVersion(1).Save(ctx)
			if err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, audit.Event{Action: "correction.rejected", SubjectType: "OrderCorrection",
				SubjectID: rec.ID, OrderID: &id, From: "PENDING_APPROVAL", To: string(rec.Status), Reason: note}); err != nil {
				return nil, err
			}
			err = notify.Send(ctx, tx, new(notify.Recipients).User(rec.RequestedByID).User(o.OwnerID), notify.Notice{
				Kind: "correction.rejected", Title: "Correction of " + o.Number + " rejected", Body: note,
				SubjectType: "OrderCorrection", SubjectID: rec.ID, OrderID: &id})
			return &Result{Order: o, Correction: rec}, err
		}
		if err := check(o.Status, Correct); err != nil {
			return nil, err
		}
		if o.Version != rec.ExpectedVersion {
			return nil, fault.New(fault.VersionConflict, "input.correctionId",
				"the order changed since the correction was requested (version %d, then %d); reject it and correct again", o.Version, rec.ExpectedVersion)
		}
		var req CorrectRequest
		if err := json.Unmarshal(rec.Request, &req); err != nil {
			return nil, err
		}
		plan, _, _, err := planLines(ctx, tx, o, req.Lines)
		if err != nil {
			return nil, err
		}
		c, err := tx.Customer.Get(ctx, o.CustomerID)
		if err != nil {
			return nil, err
		}
		if rec, err = tx.OrderCorrection.UpdateOne(rec).SetDecidedAt(s.now()).SetNillableDecidedByID(v.ActorID()).
			SetDecisionNote(note).Save(ctx); err != nil {
			return nil, err
		}
		return s.applyCorrection(ctx, tx, o, c, rec, plan, req)
	})
}
