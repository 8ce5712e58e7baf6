package graph

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"orderdesk/ent"
	"orderdesk/fault"
	"orderdesk/graph/model"
	"orderdesk/inbox"
	"orderdesk/money"
	"orderdesk/order"
	"orderdesk/payment"
)

// defaultExceptionPage is the page size when the client gives no first.
const defaultExceptionPage = 20

// exceptionConnection pages the inbox, oldest first. A cursor is the place
// of its item in that order (since, source, record), so the next page
// starts right after it even when items before it have left the inbox
// meanwhile. It reads only what the query selects: the page for edges or
// pageInfo, the count for totalCount.
func exceptionConnection(ctx context.Context, client *ent.Client, f inbox.Filter, first *int, after *string) (*model.ExceptionItemConnection, error) {
	r := inbox.Request{Filter: f, Count: selected(ctx, "totalCount")}
	if selected(ctx, "edges") || selected(ctx, "pageInfo") {
		r.First = defaultExceptionPage
		if first != nil {
			r.First = *first
		}
	}
	if r.First < 0 {
		return nil, fault.New(fault.Invalid, "first", "must not be negative")
	}
	if after != nil {
		k, err := parseExceptionCursor(*after)
		if err != nil {
			return nil, fault.New(fault.Invalid, "after", "is not a cursor of this list")
		}
		r.After = &k
	}
	page, err := inbox.Open(ctx, client, r, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	return exceptionPage(page, after != nil), nil
}

// exceptionPage turns a page of the inbox into the connection.
func exceptionPage(page inbox.Page, after bool) *model.ExceptionItemConnection {
	now := time.Now()
	conn := &model.ExceptionItemConnection{TotalCount: page.Total, Edges: []*model.ExceptionItemEdge{},
		PageInfo: &entgql.PageInfo[int]{HasNextPage: page.HasNext, HasPreviousPage: after}}
	for i, it := range page.Items {
		cursor := exceptionCursor(it.Key())
		conn.Edges = append(conn.Edges, &model.ExceptionItemEdge{Cursor: cursorString(cursor), Node: &model.ExceptionItem{
			ID: it.SubjectID, Kind: model.ExceptionKind(it.Kind), Category: model.ExceptionCategory(it.Category),
			Severity: model.ExceptionSeverity(it.Severity), Title: it.Title, Since: it.Since,
			AgeSeconds: int(now.Sub(it.Since).Seconds()), DueAt: it.DueAt, Order: it.Order, Assignee: it.Assignee,
			Subject: it.Subject}})
		if i == 0 {
			start := cursor
			conn.PageInfo.StartCursor = &start
		}
		conn.PageInfo.EndCursor = &cursor
	}
	return conn
}

// selected reports whether the query selects the field of the connection
// being resolved (outside a GraphQL request, everything is).
func selected(ctx context.Context, name string) bool {
	if graphql.GetFieldContext(ctx) == nil {
		return true
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// exceptionCursor keeps the item's record as the cursor's ID and its since
// and source as the value, "source/since" with since in RFC 3339 to the
// nanosecond.
func exceptionCursor(k inbox.Key) entgql.Cursor[int] {
	return entgql.Cursor[int]{ID: k.ID, Value: fmt.Sprintf("%d/%s", k.Source, k.Since.UTC().Format(time.RFC3339Nano))}
}

func parseExceptionCursor(s string) (inbox.Key, error) {
	var c entgql.Cursor[int]
	if err := c.UnmarshalGQL(s); err != nil {
		return inbox.Key{}, err
	}
	v, ok := c.Value.(string)
	if !ok {
		return inbox.Key{}, fmt.Errorf("cursor value %T is not a string", c.Value)
	}
	source, since, ok := strings.Cut(v, "/")
	if !ok {
		return inbox.Key{}, fmt.Errorf("cursor value %q lacks its source", v)
	}
	rank, err := strconv.Atoi(source)
	if err != nil {
		return inbox.Key{}, err
	}
	at, err := time.Parse(time.RFC3339Nano, since)
	if err != nil {
		return inbox.Key{}, err
	}
	return inbox.Key{Since: at, Source: rank, ID: c.ID}, nil
}

// cursorString is the cursor as a String field carries it: what the Cursor
// scalar writes (base64 between quotes) without the quotes, so that a
// client may pass an edge's cursor and pageInfo's endCursor alike as after.
func cursorString(c entgql.Cursor[int]) string {
	var b strings.Builder
	c.MarshalGQL(&b)
	return strings.Trim(b.String(), `"`)
}

// exceptionAmount is the money an inbox item is about: a pending
// cancellation's refund (else the pending payments it cancels), computed
// now as its effect; a failed payment's amount; an overdue order's
// outstanding amount; an overdue invoice's balance. Nil for the other items.
func exceptionAmount(ctx context.Context, orders *order.Service, it *model.ExceptionItem) (*money.Money, error) {
	switch s := it.Subject.(type) {
	case *ent.CancellationRecord:
		e, err := orders.CancellationEffect(ctx, s)
		if err != nil || e == nil {
			return nil, err
		}
		if e.AmountRefunded == 0 && e.AmountCancelled > 0 {
			return amount(e.AmountCancelled, e.Currency), nil
		}
		return amount(e.AmountRefunded, e.Currency), nil
	case *ent.Payment:
		return amount(s.AmountMinor, s.Currency), nil
	case *ent.Invoice:
		return amount(s.BalanceMinor, s.Currency), nil
	case *ent.Order:
		if it.Kind == model.ExceptionKindPaymentOverdue {
			return amount(payment.Outstanding(s), s.Currency), nil
		}
	}
	return nil, nil
}
