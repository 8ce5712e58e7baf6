package order

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/change"
	"orderdesk/clip"
	"orderdesk/contact"
	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/ordercorrection"
	"orderdesk/ent/stockitem"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notify"
	"orderdesk/payment"
	"orderdesk/postal"
	"orderdesk/stock"
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
	// CustomerContactID is the logged contact in which the customer
	// confirmed; naming one records the confirmation.
	CustomerContactID *int
	// AskCustomer sends a severe correction to the customer's confirmation
	// page instead of recording their consent now.
	AskCustomer    bool
	DryRun         bool   `json:"-"`
	IdempotencyKey string `json:"-"`
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
// customer's contact. Shipped goods are the floor: a line's quantity stays
// at least what shipped, and a line with shipped units keeps its product
// and price (a later concession is a refund). Reservations follow the new
// quantities (failing cleanly with INSUFFICIENT_STOCK); the correction
// records every field before and after and the money effect: a refund due
// when a paid order's total drops, an amount due when it rises. A SEVERE
// correction — a product swapped, a price outside the allowed discount (as
// at review), a confirmed order pushed past the customer's credit, or the
// total moving by more than the policy's amount or share — needs the
// customer's confirmation recorded and a sales manager's approval: it
// applies at once when a manager makes it, and otherwise waits. Needs
// order:correct. DryRun returns the preview and changes nothing.
func (s *Service) Correct(ctx context.Context, r CorrectRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderCorrect); err != nil {
		return nil, err
	}
	if err := validateCorrection(&r); err != nil {
		return nil, err
	}
	return s.runOrPreview(ctx, r.DryRun, "correctOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, err := s.hold(ctx, tx, r.OrderID, Correct, "input.orderId")
		if err != nil {
			return nil, err
		}
		if err := l.checkVersion(&r.ExpectedVersion); err != nil {
			return nil, err
		}
		if r.CustomerContactID != nil {
			if err := contact.CheckConfirmation(ctx, tx, *r.CustomerContactID, l.Order.CustomerID, l.Order.ID,
				"input.customerContactId"); err != nil {
				return nil, err
			}
			r.CustomerConfirmed = true
		}
		return s.correct(ctx, l, r)
	})
}

// validateCorrection checks r and puts its contact email in the form the
// customer keeps (trimmed, lower case), so that the diff, the record and
// the customer show the same address.
func validateCorrection(r *CorrectRequest) error {
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
			c.Email = new(errs.Email("input.customerContact.email", *c.Email))
		}
	}
	for i, l := range r.Lines {
		if l.Quantity != nil {
			errs.Quantity(fmt.Sprintf("input.lines.%d.quantity", i), *l.Quantity, 1, stock.MaxQuantity)
		}
	}
	return errs.Err()
}

// plannedLine is a line as the correction would leave it: a copy of the
// held line with the new values, so that the one arithmetic prices it.
type plannedLine struct {
	was, now *ent.OrderLine
}

// plan is a correction worked out against the held order.
type plan struct {
	lines      []plannedLine
	diff       []change.Field
	swapped    bool
	totalAfter int64
	severeWhy  []string
}

// correct plans the correction, decides its severity, records it, and
// applies it when it may apply now.
func (s *Service) correct(ctx context.Context, l *Locked, r CorrectRequest) (*Result, error) {
	v, tx, o := auth.FromContext(ctx), l.tx, l.Order
	p, err := s.planCorrection(ctx, l, r)
	if err != nil {
		return nil, err
	}
	severity := ordercorrection.SeverityMINOR
	if len(p.severeWhy) > 0 {
		severity = ordercorrection.SeveritySEVERE
	}
	why := strings.Join(p.severeWhy, "; ")
	switch {
	case r.AskCustomer && severity == ordercorrection.SeverityMINOR:
		return nil, fault.New(fault.Invalid, "input.askCustomer", "a minor correction applies at once; it needs no consent")
	case r.AskCustomer && r.CustomerConfirmed:
		return nil, fault.New(fault.Invalid, "input.askCustomer", "the customer's confirmation is recorded already")
	case severity == ordercorrection.SeveritySEVERE && !r.CustomerConfirmed && !r.AskCustomer:
		return nil, fault.New(fault.ApprovalRequired, "input.customerConfirmed",
			"a severe correction (%s) needs the customer's confirmation recorded, or askCustomer", why)
	}
	applies := !r.AskCustomer && (severity == ordercorrection.SeverityMINOR || v.Can(auth.OrderCorrectApprove))
	request, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	status := ordercorrection.StatusPENDING_APPROVAL
	switch {
	case applies:
		status = ordercorrection.StatusAPPLIED
	case r.AskCustomer:
		status = ordercorrection.StatusAWAITING_CUSTOMER
	}
	rec, err := tx.OrderCorrection.Create().SetOrderID(o.ID).SetErrorType(ordercorrection.ErrorType(r.ErrorType)).
		SetCause(ordercorrection.Cause(r.Cause)).SetSeverity(severity).SetStatus(status).SetDiff(p.diff).
		SetRequest(request).SetNote(strings.TrimSpace(r.Note)).SetCustomerConfirmed(r.CustomerConfirmed).
		SetCustomerConfirmationNote(strings.TrimSpace(r.CustomerConfirmationNote)).SetNillableCustomerContactID(r.CustomerContactID).
		SetTotalBeforeMinor(o.TotalMinor).SetTotalAfterMinor(p.totalAfter).SetCurrency(o.Currency).
		SetExpectedVersion(r.ExpectedVersion).SetNillableRequestedByID(v.ActorID()).Save(ctx)
	if err != nil {
		return nil, err
	}
	if !applies {
		if err := l.audit(ctx, audit.Event{Action: "correction.requested", SubjectType: "OrderCorrection",
			SubjectID: rec.ID, To: string(rec.Status), Reason: clip.Runes(rec.Note+" ("+why+")", audit.MaxReason),
			After: map[string]any{"severity": severity, "diff": p.diff, "why": why}}); err != nil {
			return nil, err
		}
		if r.AskCustomer {
			err := s.sendToCustomer(ctx, l, rec)
			return &Result{Order: o, Correction: rec, CorrectionPreview: CorrectionPreviewOf(rec)}, err
		}
		err := l.notify(ctx, new(notify.Recipients).Role(auth.SalesManager), notify.Notice{
			Kind: "correction.awaiting_approval", Title: "Severe correction of " + o.Number + " awaits approval",
			Body: why, SubjectType: "OrderCorrection", SubjectID: rec.ID})
		return &Result{Order: o, Correction: rec, CorrectionPreview: CorrectionPreviewOf(rec)}, err
	}
	return s.applyCorrection(ctx, l, rec, p, r)
}

// planCorrection validates the changes against the held order and works out
// the lines, diff, new total and the reasons it is severe.
func (s *Service) planCorrection(ctx context.Context, l *Locked, r CorrectRequest) (*plan, error) {
	o := l.Order
	p, err := s.planLines(ctx, l, r.Lines)
	if err != nil {
		return nil, err
	}
	if r.ShippingAddress != nil {
		p.diff = append(p.diff, change.Field{Field: "shippingAddress", Before: formatAddress(o.ShippingAddress), After: formatAddress(r.ShippingAddress)})
	}
	if k := r.Contact; k != nil {
		c, err := l.customer(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range []struct {
			name   string
			before string
			after  *string
		}{{"customer.contactName", c.ContactName, k.ContactName}, {"customer.email", c.Email, k.Email}, {"customer.phone", c.Phone, k.Phone}} {
			if f.after != nil && strings.TrimSpace(*f.after) != f.before {
				p.diff = append(p.diff, change.Field{Field: f.name, Before: f.before, After: strings.TrimSpace(*f.after)})
			}
		}
	}
	if len(p.diff) == 0 {
		return nil, fault.New(fault.Invalid, "input", "the correction changes nothing")
	}
	after := make([]*ent.OrderLine, len(l.Lines))
	for i, line := range l.Lines {
		after[i] = line
		for _, pl := range p.lines {
			if pl.was.ID == line.ID {
				after[i] = pl.now
			}
		}
	}
	if _, _, p.totalAfter, err = totals(after); err != nil {
		return nil, amountError("input.lines", err)
	}
	delta := p.totalAfter - o.TotalMinor
	if why := s.severeChange(o.TotalMinor, delta, o.Currency); why != "" {
		p.severeWhy = append(p.severeWhy, why)
	}
	if o.Status == Confirmed && delta > 0 {
		// A confirmed order owes more: the credit check of review applies.
		owed := *o
		owed.TotalMinor = p.totalAfter
		var failed fault.List
		if err := checkCredit(ctx, l, payment.Outstanding(&owed), &failed); err != nil {
			return nil, err
		}
		for _, f := range failed {
			p.severeWhy = append(p.severeWhy, f.Message)
		}
	}
	return p, nil
}

// severeChange says why moving a total of before by delta is severe under
// the policy, or "". The share is compared without multiplying the total,
// which could overflow.
func (s *Service) severeChange(before, delta int64, currency string) string {
	size := max(delta, -delta)
	if s.policy.SevereAmountMinor > 0 && size > s.policy.SevereAmountMinor {
		return fmt.Sprintf("the total changes by %s, more than %s", money.Format(delta, currency), money.Format(s.policy.SevereAmountMinor, currency))
	}
	if bp := s.policy.SevereBP; bp > 0 {
		limit := before/10_000*bp + before%10_000*bp/10_000
		if size > limit {
			return fmt.Sprintf("the total changes by %s, more than %d.%02d %% of %s",
				money.Format(delta, currency), bp/100, bp%100, money.Format(before, currency))
		}
	}
	return ""
}

// customer is the held order's customer: the locked row when the action
// locked it (exposure), else read.
func (l *Locked) customer(ctx context.Context) (*ent.Customer, error) {
	if l.Customer != nil {
		return l.Customer, nil
	}
	return l.tx.Customer.Get(ctx, l.Order.CustomerID)
}

// planLines validates the line changes: each line within the floor that
// shipped goods set, each changed price within the policy (else the
// correction is severe).
func (s *Service) planLines(ctx context.Context, l *Locked, changes []CorrectionLine) (*plan, error) {
	o := l.Order
	var errs fault.List
	p := &plan{}
	seen := map[int]bool{}
	var repriced []*ent.OrderLine
	for i, x := range changes {
		field := fmt.Sprintf("input.lines.%d", i)
		was := l.line(x.OrderLineID)
		if was == nil || seen[x.OrderLineID] {
			errs.Add(fault.NotFound, field+".orderLineId", "not a line of this order, or given twice")
			continue
		}
		seen[was.ID] = true
		now := *was
		if x.StockItemID != nil && *x.StockItemID != was.StockItemID {
			it, err := l.tx.StockItem.Query().Where(stockitem.ID(*x.StockItemID)).Only(ctx)
			switch {
			case ent.IsNotFound(err):
				errs.Add(fault.NotFound, field+".stockItemId", "no such stock item")
				continue
			case err != nil:
				return nil, err
			case !it.Active || it.Currency != o.Currency:
				errs.Add(fault.Invalid, field+".stockItemId", "%s is not sold in %s", it.Sku, o.Currency)
				continue
			case was.QuantityShipped > 0:
				errs.Add(fault.Invalid, field+".stockItemId", "%d units of %s have shipped; the product of a line with shipped units stays",
					was.QuantityShipped, was.Sku)
				continue
			}
			now.StockItemID, now.Sku, now.Name, now.ListPriceMinor, now.UnitPriceMinor = it.ID, it.Sku, it.Name, it.UnitPriceMinor, it.UnitPriceMinor
			p.diff = append(p.diff, change.Field{Field: "lines." + was.Sku + ".product", Before: was.Sku, After: it.Sku})
			p.swapped = true
		}
		if x.Quantity != nil && *x.Quantity != was.Quantity {
			floor := was.QuantityCancelled + max(was.QuantityShipped, 1)
			if *x.Quantity < floor {
				errs.Add(fault.Invalid, field+".quantity", "must be at least %d: %d cancelled, %d shipped, and a line keeps one unit",
					floor, was.QuantityCancelled, was.QuantityShipped)
			}
			now.Quantity = *x.Quantity
			p.diff = append(p.diff, change.Field{Field: "lines." + was.Sku + ".quantity", Before: fmt.Sprint(was.Quantity), After: fmt.Sprint(now.Quantity)})
		}
		if x.UnitPrice != nil {
			now.UnitPriceMinor = price(&errs, field+".unitPrice", *x.UnitPrice, o.Currency)
		}
		if x.Discount != nil {
			now.DiscountMinor = price(&errs, field+".discount", *x.Discount, o.Currency)
		}
		if now.UnitPriceMinor != was.UnitPriceMinor {
			p.diff = append(p.diff, change.Field{Field: "lines." + was.Sku + ".unitPrice",
				Before: money.Format(was.UnitPriceMinor, o.Currency), After: money.Format(now.UnitPriceMinor, o.Currency)})
		}
		if now.DiscountMinor != was.DiscountMinor {
			p.diff = append(p.diff, change.Field{Field: "lines." + was.Sku + ".discount",
				Before: money.Format(was.DiscountMinor, o.Currency), After: money.Format(now.DiscountMinor, o.Currency)})
		}
		if net(&now) != net(was) && was.QuantityShipped > 0 {
			errs.Add(fault.Invalid, field+".unitPrice", "%d units of %s have shipped at this price; a later concession is a refund (refundPayment)",
				was.QuantityShipped, was.Sku)
		}
		if now.DiscountMinor > now.UnitPriceMinor {
			errs.Add(fault.Invalid, field+".discount", "is larger than the unit price")
		}
		if net(&now) != net(was) || now.StockItemID != was.StockItemID {
			repriced = append(repriced, &now)
		}
		p.lines = append(p.lines, plannedLine{was: was, now: &now})
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if p.swapped {
		p.severeWhy = append(p.severeWhy, "a product is swapped")
	}
	// A replacement is free by design; other orders' prices keep to the policy.
	if o.Kind != entorder.KindREPLACEMENT && len(repriced) > 0 {
		var outside fault.List
		if err := s.checkPrices(ctx, l.tx, repriced, "input.lines", &outside); err != nil {
			return nil, err
		}
		for _, f := range outside {
			p.severeWhy = append(p.severeWhy, "price outside the policy: "+f.Message)
		}
	}
	return p, nil
}

// applyCorrection writes the planned lines, moves reservations of a
// CONFIRMED order to the new quantities and products, updates address and
// customer contact, and records the money effect.
func (s *Service) applyCorrection(ctx context.Context, l *Locked, rec *ent.OrderCorrection, p *plan, r CorrectRequest) (*Result, error) {
	tx := l.tx
	id, recID := l.Order.ID, rec.ID
	if l.Order.Status == Confirmed {
		// Releases before reservations, so that stock one line frees can be
		// reserved by another; stock.ApplyAll applies them in this order
		// and locks the items in id order.
		var releases, reserves []stock.Movement
		move := func(item, qty int, reserve bool) {
			if qty == 0 {
				return
			}
			m := stock.Release(item, qty)
			if reserve {
				m = stock.Reserve(item, qty)
			}
			m.OrderID, m.CorrectionID, m.Reason = &id, &recID, "correction"
			if reserve {
				reserves = append(reserves, m)
			} else {
				releases = append(releases, m)
			}
		}
		for _, pl := range p.lines {
			want := unshipped(pl.now)
			if pl.now.StockItemID != pl.was.StockItemID {
				move(pl.was.StockItemID, pl.was.QuantityReserved, false)
				move(pl.now.StockItemID, want, true)
			} else if d := want - pl.was.QuantityReserved; d != 0 {
				move(pl.now.StockItemID, max(d, -d), d > 0)
			}
		}
		if _, err := stock.ApplyAll(ctx, tx, append(releases, reserves...)); err != nil {
			return nil, err
		}
	}
	for _, pl := range p.lines {
		confirmed := l.Order.Status == Confirmed
		if err := l.saveLine(ctx, pl.was, func(n *ent.OrderLine) {
			*n = *pl.now
			if confirmed {
				n.QuantityReserved = unshipped(n)
			}
		}); err != nil {
			return nil, err
		}
	}
	if err := l.touch(ctx, func(o *ent.Order) {
		if r.ShippingAddress != nil {
			o.ShippingAddress = r.ShippingAddress
		}
	}); err != nil {
		return nil, err
	}
	if k := r.Contact; k != nil {
		c, err := l.customer(ctx)
		if err != nil {
			return nil, err
		}
		u := tx.Customer.UpdateOne(c).AddVersion(1)
		if k.ContactName != nil {
			u.SetContactName(strings.TrimSpace(*k.ContactName))
		}
		if k.Email != nil {
			// Normalised when asked for; again for corrections waiting
			// since before that was so.
			u.SetEmail(strings.ToLower(strings.TrimSpace(*k.Email)))
		}
		if k.Phone != nil {
			u.SetPhone(strings.TrimSpace(*k.Phone))
		}
		if err := u.Exec(ctx); err != nil {
			return nil, err
		}
	}
	o := l.Order
	refundDue := payment.RefundDue(o)
	amountDue := int64(0)
	if payment.Refundable(o) > 0 {
		amountDue = payment.Outstanding(o)
	}
	rec, err := tx.OrderCorrection.UpdateOne(rec).SetStatus(ordercorrection.StatusAPPLIED).
		SetTotalAfterMinor(o.TotalMinor).SetRefundDueMinor(refundDue).SetAmountDueMinor(amountDue).AddVersion(1).Save(ctx)
	if err != nil {
		return nil, err
	}
	before, after := map[string]any{}, map[string]any{}
	for _, d := range rec.Diff {
		before[d.Field], after[d.Field] = d.Before, d.After
	}
	delta := o.TotalMinor - rec.TotalBeforeMinor
	if err := l.audit(ctx, audit.Event{Action: "order.corrected", SubjectType: "Order", SubjectID: o.ID,
		Reason: fmt.Sprintf("%s/%s (%s) %s", rec.ErrorType, rec.Cause, rec.Severity, rec.Note), Amount: &delta, Currency: o.Currency,
		Before: before, After: after}); err != nil {
		return nil, err
	}
	to := new(notify.Recipients).User(o.OwnerID).User(rec.RequestedByID)
	if refundDue > 0 || amountDue > 0 {
		to.Role(auth.Finance)
	}
	err = l.notify(ctx, to, notify.Notice{Kind: "order.corrected",
		Title: fmt.Sprintf("Order %s corrected (%s)", o.Number, strings.ToLower(string(rec.ErrorType))),
		Body: fmt.Sprintf("Total %s → %s; %s.", money.Format(rec.TotalBeforeMinor, o.Currency), money.Format(o.TotalMinor, o.Currency),
			strings.ToLower(strings.ReplaceAll(MoneyEffect(refundDue, amountDue), "_", " "))),
		SubjectType: "OrderCorrection", SubjectID: rec.ID})
	return &Result{Order: o, Correction: rec, CorrectionPreview: CorrectionPreviewOf(rec)}, err
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
	return s.decideCorrection(ctx, "approveCorrection", ApproveCorrection, r)
}

// RejectCorrection rejects a pending severe correction with a note.
func (s *Service) RejectCorrection(ctx context.Context, r CorrectionDecisionRequest) (*Result, error) {
	return s.decideCorrection(ctx, "rejectCorrection", RejectCorrection, r)
}

func (s *Service) decideCorrection(ctx context.Context, op string, a Action, r CorrectionDecisionRequest) (*Result, error) {
	v, err := auth.Require(ctx, auth.OrderCorrectApprove)
	if err != nil {
		return nil, err
	}
	approve := a == ApproveCorrection
	var errs fault.List
	note := errs.Text("input.note", r.Note, 2000, !approve)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, op, r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, rec, err := holdChild(ctx, s, tx, a, "input.correctionId", "correction", corrections(tx, r.CorrectionID))
		if err != nil {
			return nil, err
		}
		// A correction still with the customer may be withdrawn, not approved.
		if rec.Status != ordercorrection.StatusPENDING_APPROVAL && (approve || rec.Status != ordercorrection.StatusAWAITING_CUSTOMER) {
			return nil, fault.New(fault.InvalidTransition, "input.correctionId", "the correction is %s", rec.Status)
		}
		if rec.RequestedByID != nil && *rec.RequestedByID == v.UserID {
			return nil, fault.New(fault.NotAllowed, "", "you requested this correction; another manager must decide it")
		}
		o, from := l.Order, rec.Status
		if !approve {
			rec, err = tx.OrderCorrection.UpdateOne(rec).SetStatus(ordercorrection.StatusREJECTED).SetDecidedAt(l.Now).
				SetNillableDecidedByID(v.ActorID()).SetDecisionNote(note).AddVersion(1).Save(ctx)
			if err != nil {
				return nil, err
			}
			if err := l.audit(ctx, audit.Event{Action: "correction.rejected", SubjectType: "OrderCorrection",
				SubjectID: rec.ID, From: string(from), To: string(rec.Status), Reason: note}); err != nil {
				return nil, err
			}
			err = l.notify(ctx, new(notify.Recipients).User(rec.RequestedByID).User(o.OwnerID), notify.Notice{
				Kind: "correction.rejected", Title: "Correction of " + o.Number + " rejected", Body: note,
				SubjectType: "OrderCorrection", SubjectID: rec.ID})
			return &Result{Order: o, Correction: rec}, err
		}
		if o.Version != rec.ExpectedVersion {
			return nil, fault.New(fault.VersionConflict, "input.correctionId",
				"the order changed since the correction was requested (version %d, then %d); reject it and correct again", o.Version, rec.ExpectedVersion)
		}
		var req CorrectRequest
		if err := json.Unmarshal(rec.Request, &req); err != nil {
			return nil, err
		}
		p, err := s.planCorrection(ctx, l, req)
		if err != nil {
			return nil, err
		}
		if rec, err = tx.OrderCorrection.UpdateOne(rec).SetDecidedAt(l.Now).SetNillableDecidedByID(v.ActorID()).
			SetDecisionNote(note).Save(ctx); err != nil {
			return nil, err
		}
		return s.applyCorrection(ctx, l, rec, p, req)
	})
}
