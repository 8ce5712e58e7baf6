package notify

import (
	"context"
	"errors"
	"time"

	"entgo.io/contrib/entgql"

	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/notification"
	"orderdesk/fault"
)

// The viewer's own notifications. The privacy policy lets viewers with
// audit:read see everybody's notifications (for investigations), so every
// function here also names the recipient explicitly: a notification list,
// read flag and live stream are personal, whatever the role.

// newestFirst orders notifications by creation, newest first (ties by id).
var newestFirst = &ent.NotificationOrder{Direction: entgql.OrderDirectionDesc, Field: ent.NotificationOrderFieldCreatedAt}

// List pages the viewer's notifications, newest first; unreadOnly leaves
// out those already read.
func List(ctx context.Context, client *ent.Client, unreadOnly bool, first *int, after *ent.Cursor) (*ent.NotificationConnection, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	q := client.Notification.Query().Where(notification.RecipientID(v.UserID))
	if unreadOnly {
		q = q.Where(notification.ReadAtIsNil())
	}
	return q.Paginate(ctx, after, first, nil, nil, ent.WithNotificationOrder(newestFirst))
}

// MarkRead marks one of the viewer's notifications read and returns it. A
// notification already read keeps the time it was first read; another
// user's notification is NOT_FOUND, like one that does not exist.
func MarkRead(ctx context.Context, client *ent.Client, id int) (*ent.Notification, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	mine := notification.And(notification.ID(id), notification.RecipientID(v.UserID))
	// Only an unread notification is updated, so concurrent calls set the
	// time once.
	if err := client.Notification.Update().Where(mine, notification.ReadAtIsNil()).
		SetReadAt(time.Now().UTC()).Exec(ctx); err != nil {
		return nil, err
	}
	n, err := client.Notification.Query().Where(mine).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "input.id", "no such notification")
	}
	return n, err
}

// MarkAllRead marks every unread notification of the viewer read and
// returns how many it marked.
func MarkAllRead(ctx context.Context, client *ent.Client) (int, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	return client.Notification.Update().
		Where(notification.RecipientID(v.UserID), notification.ReadAtIsNil()).
		SetReadAt(time.Now().UTC()).Save(ctx)
}

// errNoBroker is an internal error: the server was built without live
// delivery.
var errNoBroker = errors.New("notify: no broker configured for live delivery")

// Added streams the viewer's notifications as they are committed, until ctx
// ends.
func Added(ctx context.Context, b *Broker) (<-chan *ent.Notification, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errNoBroker
	}
	return b.SubscribeNotifications(ctx, v.UserID), nil
}

// OrderEvents streams the audit events of an order as they are committed,
// until ctx ends. The order is loaded as the viewer first, so an order the
// viewer may not read (another rep's customer's) is NOT_FOUND and nothing
// is streamed. Each event is read again as the viewer before it is sent:
// should the viewer lose access to the order meanwhile (the customer moved
// to another rep), the stream ends.
func OrderEvents(ctx context.Context, client *ent.Client, b *Broker, orderID int) (<-chan *ent.AuditEvent, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errNoBroker
	}
	if _, err := client.Order.Get(ctx, orderID); ent.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "orderId", "no such order")
	} else if err != nil {
		return nil, err
	}
	events := b.SubscribeOrder(ctx, orderID)
	out := make(chan *ent.AuditEvent)
	go func() {
		defer close(out)
		for e := range events {
			visible, err := client.AuditEvent.Get(ctx, e.ID)
			if err != nil {
				return // no longer visible, or the database failed: end the stream
			}
			select {
			case out <- visible:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
