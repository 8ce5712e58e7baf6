package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"orderdesk/account"
	"orderdesk/change"
	"orderdesk/ent"
	"orderdesk/graph/model"
	"orderdesk/order"
)

type remoteAddrKey struct{}

// WithRemoteAddr stores the client's address for sign-in throttling.
func WithRemoteAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, remoteAddrKey{}, addr)
}

func remoteAddr(ctx context.Context) string {
	a, _ := ctx.Value(remoteAddrKey{}).(string)
	return a
}

func session(s *account.Session) *model.Session {
	if s == nil {
		return nil
	}
	return &model.Session{AccessToken: s.AccessToken, AccessTokenExpiresAt: s.AccessExpiresAt,
		RefreshToken: s.RefreshToken, RefreshTokenExpiresAt: s.RefreshExpiresAt, User: s.User}
}

func updateUserRequest(in model.UpdateUserInput) account.UpdateUserRequest {
	r := account.UpdateUserRequest{ID: in.ID, Name: in.Name, Active: in.Active,
		Scopes: in.Scopes, SetScopes: in.Scopes != nil}
	if in.ExpectedVersion != nil {
		v := int64(*in.ExpectedVersion)
		r.ExpectedVersion = &v
	}
	if in.Role != nil {
		role := string(*in.Role)
		r.Role = &role
	}
	return r
}

func lineRequests(in []*model.OrderLineInput) []order.LineRequest {
	if in == nil {
		return nil
	}
	out := make([]order.LineRequest, len(in))
	for i, l := range in {
		out[i] = order.LineRequest{StockItemID: l.StockItemID, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount}
	}
	return out
}

func version(v *int) *int64 {
	if v == nil {
		return nil
	}
	x := int64(*v)
	return &x
}

func flag(b *bool) bool { return b != nil && *b }

func transition(in model.OrderTransitionInput) order.TransitionRequest {
	return order.TransitionRequest{OrderID: in.OrderID, ExpectedVersion: version(in.ExpectedVersion),
		IdempotencyKey: text(in.IdempotencyKey)}
}

func cancelRequest(in model.CancelOrderInput) order.CancelRequest {
	r := order.CancelRequest{OrderID: in.OrderID, ReasonCode: string(in.ReasonCode), Note: text(in.Note),
		Lines: quantities(in.Lines), CustomerContactID: in.CustomerContactID, AskCustomer: flag(in.AskCustomer), DryRun: flag(in.DryRun),
		IdempotencyKey: text(in.IdempotencyKey)}
	if in.Resolution != nil {
		r.Resolution = string(*in.Resolution)
	}
	return r
}

// orderPayload and the other payload builders map a service result and
// error to the mutation payload.
func orderPayload(res *order.Result, err error) (*model.OrderPayload, error) {
	errs, err := outcome(err)
	p := &model.OrderPayload{Errors: errs}
	if res != nil {
		p.Order = res.Order
	}
	return p, err
}

func paymentPayload(res *order.Result, err error) (*model.PaymentPayload, error) {
	errs, err := outcome(err)
	p := &model.PaymentPayload{Errors: errs}
	if res != nil {
		p.Order, p.Payment = res.Order, res.Payment
	}
	return p, err
}

func cancellationPayload(res *order.Result, err error) (*model.CancellationPayload, error) {
	errs, err := outcome(err)
	p := &model.CancellationPayload{Errors: errs}
	if res != nil {
		p.Order, p.Cancellation, p.NewOrder, p.Preview = res.Order, res.Cancellation, res.NewOrder, res.Preview
	}
	return p, err
}

func paymentAction(in model.PaymentActionInput) order.PaymentActionRequest {
	return order.PaymentActionRequest{PaymentID: in.PaymentID, Reason: text(in.Reason), IdempotencyKey: text(in.IdempotencyKey)}
}

func decision(in model.CancellationDecisionInput) order.DecisionRequest {
	return order.DecisionRequest{CancellationID: in.CancellationID, Note: text(in.Note), DryRun: flag(in.DryRun),
		IdempotencyKey: text(in.IdempotencyKey)}
}

func quantities(in []*change.LineQuantity) []change.LineQuantity {
	if in == nil {
		return nil
	}
	out := make([]change.LineQuantity, len(in))
	for i, q := range in {
		out[i] = *q
	}
	return out
}

func returnDecision(in model.ReturnDecisionInput) order.ReturnDecisionRequest {
	return order.ReturnDecisionRequest{ReturnID: in.ReturnID, Note: text(in.Note), IdempotencyKey: text(in.IdempotencyKey)}
}

func correctionDecision(in model.CorrectionDecisionInput) order.CorrectionDecisionRequest {
	return order.CorrectionDecisionRequest{CorrectionID: in.CorrectionID, Note: text(in.Note), IdempotencyKey: text(in.IdempotencyKey)}
}

func returnPayload(res *order.Result, err error) (*model.ReturnPayload, error) {
	errs, err := outcome(err)
	p := &model.ReturnPayload{Errors: errs, Refunds: []*ent.Payment{}}
	if res != nil {
		p.Return, p.Order, p.ExchangeOrder = res.Return, res.Order, res.NewOrder
		if res.Refunds != nil {
			p.Refunds = res.Refunds
		}
		if res.AmountRefunded != nil {
			p.AmountRefunded = amount(*res.AmountRefunded, res.Order.Currency)
		}
	}
	return p, err
}

func correctionPayload(res *order.Result, err error) (*model.CorrectionPayload, error) {
	errs, err := outcome(err)
	p := &model.CorrectionPayload{Errors: errs}
	var preview *order.CorrectionPreview
	if res != nil {
		p.Order, p.Correction, preview = res.Order, res.Correction, res.CorrectionPreview
	}
	if preview != nil {
		diff := make([]*change.Field, len(preview.Diff))
		for i := range preview.Diff {
			diff[i] = &preview.Diff[i]
		}
		p.Preview = &model.CorrectionPreview{Severity: preview.Severity, Applies: preview.Applies, Diff: diff,
			TotalBefore: amount(preview.TotalBefore, preview.Currency), TotalAfter: amount(preview.TotalAfter, preview.Currency),
			MoneyEffect: model.CorrectionMoneyEffect(order.MoneyEffect(preview.RefundDue, preview.AmountDue)),
			RefundDue:   amount(preview.RefundDue, preview.Currency), AmountDue: amount(preview.AmountDue, preview.Currency)}
	}
	return p, err
}

func exceptionPayload(res *order.Result, err error) (*model.ShipmentExceptionPayload, error) {
	errs, err := outcome(err)
	p := &model.ShipmentExceptionPayload{Errors: errs, Refunds: []*ent.Payment{}}
	if res != nil {
		p.Shipment, p.Order, p.ReplacementOrder, p.Return = res.Shipment, res.Order, res.NewOrder, res.Return
		if res.Refunds != nil {
			p.Refunds = res.Refunds
		}
	}
	return p, err
}

// optionalIDs tells an omitted list (nil: unchanged) from an empty one.
func optionalIDs(ids []int) *[]int {
	if ids == nil {
		return nil
	}
	return &ids
}

// selects reports whether the client's selection on the payload of the
// mutation being resolved, of type payload, includes field: what nobody
// asked for need not be computed.
func selects(ctx context.Context, payload, field string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{payload}) {
		if f.Name == field {
			return true
		}
	}
	return false
}
