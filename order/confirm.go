package order

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/change"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/ordercorrection"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/notify"
)

// Confirmations makes and reads the links of the customer's confirmation
// page (征得客户同意): a signed token naming one decision — a correction or
// a cancellation — at one version, valid for TTL. It is the customer's only
// credential, good for that one decision: once decided, the record's
// version has moved on.
type Confirmations struct {
	key []byte
	// Base is the server's address as customers reach it, e.g.
	// https://crm.example.com.
	Base string
	TTL  time.Duration
	Now  func() time.Time
}

// DefaultConfirmationTTL is how long a confirmation link works.
const DefaultConfirmationTTL = 7 * 24 * time.Hour

// NewConfirmations signs links with key (auth.Tokens.Key) to pages under
// base.
func NewConfirmations(key []byte, base string) *Confirmations {
	return &Confirmations{key: key, Base: strings.TrimRight(base, "/"), TTL: DefaultConfirmationTTL, Now: time.Now}
}

// Decision is what a link asks the customer to decide.
type Decision string

// The decisions a customer is asked for.
const (
	DecideCorrection   Decision = "OrderCorrection"
	DecideCancellation Decision = "CancellationRecord"
)

const confirmAudience = "customer-confirmation"

type confirmClaims struct {
	jwt.RegisteredClaims
	// Kind is empty in links made before cancellations could be sent:
	// those name corrections.
	Kind    Decision `json:"kind,omitempty"`
	Version int64    `json:"ver"`
}

// Link is the page's address for record id of kind at version, and when
// it expires.
func (c *Confirmations) Link(kind Decision, id int, version int64) (string, time.Time, error) {
	now := c.Now()
	exp := now.Add(c.TTL)
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, confirmClaims{RegisteredClaims: jwt.RegisteredClaims{
		Audience: jwt.ClaimStrings{confirmAudience}, Subject: strconv.Itoa(id),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp)}, Kind: kind, Version: version}).SignedString(c.key)
	return strings.TrimRight(c.Base, "/") + "/confirm/" + token, exp, err
}

// ErrLinkInvalid: the token is not one of ours, or it has expired.
var ErrLinkInvalid = errors.New("this confirmation link is not valid or has expired")

// Read checks a token's signature and expiry and returns the decision,
// record and version it names.
func (c *Confirmations) Read(token string) (kind Decision, id int, version int64, err error) {
	var cl confirmClaims
	_, err = jwt.ParseWithClaims(token, &cl, func(*jwt.Token) (any, error) { return c.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithAudience(confirmAudience),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(c.Now))
	if err != nil {
		return "", 0, 0, ErrLinkInvalid
	}
	switch cl.Kind {
	case "":
		cl.Kind = DecideCorrection
	case DecideCorrection, DecideCancellation:
	default:
		return "", 0, 0, ErrLinkInvalid
	}
	if id, err = strconv.Atoi(cl.Subject); err != nil || id <= 0 {
		return "", 0, 0, ErrLinkInvalid
	}
	return cl.Kind, id, cl.Version, nil
}

// sendToCustomer puts a recorded correction before the customer: a notice
// with the link to the confirmation page. The correction waits as
// AWAITING_CUSTOMER.
func (s *Service) sendToCustomer(ctx context.Context, l *Locked, rec *ent.OrderCorrection) error {
	o := l.Order
	return s.askConsent(ctx, l, DecideCorrection, rec.ID, rec.Version, "correction.sent_to_customer",
		notice.CorrectionAwaitingCustomer, map[string]string{
			"changes": describe(rec.Diff), "totalBefore": money.Format(rec.TotalBeforeMinor, o.Currency),
			"totalAfter": money.Format(rec.TotalAfterMinor, o.Currency)})
}

// askConsent sends the customer the notice of kind with a link to the
// confirmation page for record id of the given decision at version, and
// records that it went (action) on the order's timeline.
func (s *Service) askConsent(ctx context.Context, l *Locked, d Decision, id int, version int64, action string,
	kind notice.Kind, facts map[string]string) error {
	if s.Confirmations == nil {
		return errors.New("no confirmation page is configured")
	}
	link, exp, err := s.Confirmations.Link(d, id, version)
	if err != nil {
		return err
	}
	if err := l.audit(ctx, audit.Event{Action: action, SubjectType: string(d), SubjectID: id,
		To: "AWAITING_CUSTOMER", After: map[string]any{"expires": exp.UTC().Format(time.RFC3339)}}); err != nil {
		return err
	}
	facts["link"], facts["expires"] = link, exp.UTC().Format("2006-01-02 15:04 MST")
	return l.tellCustomer(ctx, kind, string(d), id, facts)
}

// describe lists a correction's changes for the customer.
func describe(diff []change.Field) string {
	parts := make([]string, len(diff))
	for i, f := range diff {
		parts[i] = f.Field + ": " + f.Before + " → " + f.After
	}
	return strings.Join(parts, "; ")
}

// Confirmation is what the confirmation page shows and decides: a
// correction or a cancellation of the customer's order.
type Confirmation struct {
	Correction   *ent.OrderCorrection
	Cancellation *ent.CancellationRecord
	// Effect is what the cancellation would do, while it awaits the
	// customer.
	Effect   *Preview
	Order    *ent.Order // with its lines, for a cancellation
	Customer *ent.Customer
}

// ConfirmationOf reads the record a link names, as the customer sees it,
// whether or not it still awaits them.
func (s *Service) ConfirmationOf(ctx context.Context, token string) (*Confirmation, error) {
	kind, id, _, err := s.Confirmations.Read(token)
	if err != nil {
		return nil, err
	}
	ctx = auth.NewContext(ctx, auth.System("confirmation page"))
	var c *Confirmation
	if kind == DecideCancellation {
		c, err = s.cancellationConfirmation(ctx, id)
	} else {
		c, err = s.correctionConfirmation(ctx, id)
	}
	if ent.IsNotFound(err) {
		return nil, ErrLinkInvalid
	}
	return c, err
}

func (s *Service) correctionConfirmation(ctx context.Context, id int) (*Confirmation, error) {
	rec, err := s.client.OrderCorrection.Query().Where(ordercorrection.ID(id)).WithOrder(func(q *ent.OrderQuery) {
		q.WithCustomer()
	}).Only(ctx)
	if err != nil {
		return nil, err
	}
	return &Confirmation{Correction: rec, Order: rec.Edges.Order, Customer: rec.Edges.Order.Edges.Customer}, nil
}

// CustomerDecision records the customer's answer given on the page of
// token, from address. It goes through the order's lock like every
// action; a link whose record was decided (or changed) since is
// NOT_ALLOWED.
func (s *Service) CustomerDecision(ctx context.Context, token string, accept bool, address string) error {
	kind, id, version, err := s.Confirmations.Read(token)
	if err != nil {
		return fault.New(fault.NotFound, "", "%s", err.Error())
	}
	ctx = auth.NewContext(ctx, auth.System("customer"))
	address = clip.Runes(address, 64)
	_, err = s.run(ctx, "", "", nil, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		if kind == DecideCancellation {
			return s.customerDecidesCancellation(ctx, tx, id, version, accept, address)
		}
		return s.customerDecidesCorrection(ctx, tx, id, version, accept, address)
	})
	return err
}

// customerDecidesCorrection: accepted, the correction goes on to a manager's
// approval with the customer's consent recorded; declined, it is rejected.
func (s *Service) customerDecidesCorrection(ctx context.Context, tx *ent.Tx, id int, version int64, accept bool, address string) (*Result, error) {
	l, rec, err := holdChild(ctx, s, tx, CustomerDecideCorrection, "", "correction", corrections(tx, id))
	if fault.CodeOf(err) == fault.NotFound {
		return nil, fault.New(fault.NotFound, "", "%s", ErrLinkInvalid.Error())
	}
	if err != nil {
		return nil, err
	}
	if rec.Status != ordercorrection.StatusAWAITING_CUSTOMER || rec.Version != version {
		return nil, fault.New(fault.NotAllowed, "", "this correction was decided already (it is %s)", rec.Status)
	}
	upd := tx.OrderCorrection.UpdateOne(rec).SetCustomerDecidedAt(l.Now).SetCustomerDecisionAddress(address).AddVersion(1)
	action, note := "correction.customer_accepted", "accepted by the customer on the confirmation page"
	if accept {
		upd.SetStatus(ordercorrection.StatusPENDING_APPROVAL).SetCustomerDecision(ordercorrection.CustomerDecisionACCEPTED).
			SetCustomerConfirmed(true).SetCustomerConfirmationNote(note)
	} else {
		action, note = "correction.customer_declined", "declined by the customer on the confirmation page"
		upd.SetStatus(ordercorrection.StatusREJECTED).SetCustomerDecision(ordercorrection.CustomerDecisionDECLINED).
			SetDecidedAt(l.Now).SetDecisionNote(note)
	}
	if rec, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	o := l.Order
	if err := l.audit(ctx, audit.Event{Action: action, SubjectType: "OrderCorrection", SubjectID: rec.ID,
		From: string(ordercorrection.StatusAWAITING_CUSTOMER), To: string(rec.Status), Reason: note,
		After: map[string]any{"address": address}}); err != nil {
		return nil, err
	}
	to := new(notify.Recipients).User(rec.RequestedByID).User(o.OwnerID)
	title := fmt.Sprintf("The customer declined the correction of %s", o.Number)
	if accept {
		to.Role(auth.SalesManager)
		title = fmt.Sprintf("The customer accepted the correction of %s; it awaits approval", o.Number)
	}
	err = l.notify(ctx, to, notify.Notice{Kind: action, Title: title, Body: describe(rec.Diff),
		SubjectType: "OrderCorrection", SubjectID: rec.ID})
	return &Result{Order: o, Correction: rec}, err
}
