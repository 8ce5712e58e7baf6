package notify

import (
	"context"
	"sync"

	"orderdesk/ent"
	"orderdesk/ent/privacy"
	"orderdesk/outbox"
)

// SubscriberBuffer is how many undelivered items a live subscriber may fall
// behind before the broker ends its subscription.
const SubscriberBuffer = 64

// Broker fans committed notifications and order timeline events out to live
// subscribers (GraphQL subscriptions).
//
// It is in-process: a subscriber connected to one server receives only what
// commits on that server. Running several servers behind a load balancer
// needs a shared bus instead (Redis pub/sub, NATS, MySQL binlog, …), with
// Publish writing to it and each server feeding its own subscribers from it.
//
// Publishing never blocks: each subscriber has a buffered channel, and a
// subscriber whose buffer is full — a client that does not read — is
// disconnected (its channel is closed, ending the subscription) rather than
// left with silent gaps; a client that subscribes again reloads what it
// missed through the queries.
//
// It also remembers, for a few seconds, the active members of each role
// (see MembersTTL), so that telling a role does not read the users table
// every time.
type Broker struct {
	notifications hub[*ent.Notification] // by recipient
	orders        hub[*ent.AuditEvent]   // by order
	pending       sync.Map               // *ent.Tx → *pending, until it ends
	shared        bool                   // behind a bus (Share)
	members       members
}

// NewBroker returns an empty broker.
func NewBroker() *Broker { return &Broker{} }

// Publish delivers committed notifications to their recipients' subscribers.
// The entities must be detached from their transaction (Unwrap).
func (b *Broker) Publish(ns []*ent.Notification) {
	if b == nil {
		return
	}
	for _, n := range ns {
		b.notifications.publish(n.RecipientID, n)
	}
}

// PublishEvent delivers a committed audit event to the subscribers of its
// order; events that name no order are ignored.
func (b *Broker) PublishEvent(e *ent.AuditEvent) {
	if b == nil || e == nil || e.OrderID == nil {
		return
	}
	b.orders.publish(*e.OrderID, e)
}

// SubscribeNotifications streams the notifications committed for the user
// from now on. The channel is closed when ctx ends or the subscriber falls
// too far behind.
func (b *Broker) SubscribeNotifications(ctx context.Context, userID int) <-chan *ent.Notification {
	return b.notifications.subscribe(ctx, userID)
}

// SubscribeOrder streams the audit events committed for the order from now
// on. The channel is closed when ctx ends or the subscriber falls too far
// behind.
func (b *Broker) SubscribeOrder(ctx context.Context, orderID int) <-chan *ent.AuditEvent {
	return b.orders.subscribe(ctx, orderID)
}

// Subscribers counts the live subscriptions (for tests and metrics).
func (b *Broker) Subscribers() int {
	return b.notifications.count() + b.orders.count()
}

// hub is one topic family: subscribers keyed by user or order id.
type hub[T any] struct {
	mu   sync.RWMutex
	subs map[int]map[chan T]struct{}
}

func (h *hub[T]) subscribe(ctx context.Context, key int) <-chan T {
	ch := make(chan T, SubscriberBuffer)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[int]map[chan T]struct{}{}
	}
	if h.subs[key] == nil {
		h.subs[key] = map[chan T]struct{}{}
	}
	h.subs[key][ch] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() { h.remove(key, ch) })
	return ch
}

// remove unregisters and closes ch, once.
func (h *hub[T]) remove(key int, ch chan T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.subs[key]
	if _, ok := set[ch]; !ok {
		return
	}
	delete(set, ch)
	if len(set) == 0 {
		delete(h.subs, key)
	}
	close(ch)
}

// publish hands v to every subscriber of key without waiting: a full buffer
// disconnects its subscriber. Sends happen under the read lock and closes
// under the write lock, so a channel is never sent to after it is closed.
func (h *hub[T]) publish(key int, v T) {
	var slow []chan T
	h.mu.RLock()
	for ch := range h.subs[key] {
		select {
		case ch <- v:
		default:
			slow = append(slow, ch)
		}
	}
	h.mu.RUnlock()
	for _, ch := range slow {
		h.remove(key, ch)
	}
}

func (h *hub[T]) count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, set := range h.subs {
		n += len(set)
	}
	return n
}

type brokerKey struct{}

// WithBroker returns ctx whose committed notifications and order events are
// also delivered live through b. The HTTP layer and the background rules set
// it; without it, changes are only written.
func WithBroker(ctx context.Context, b *Broker) context.Context {
	return context.WithValue(ctx, brokerKey{}, b)
}

// BrokerFrom returns the broker of ctx, or nil.
func BrokerFrom(ctx context.Context) *Broker {
	b, _ := ctx.Value(brokerKey{}).(*Broker)
	return b
}

// PublishOnCommit delivers the audit event e, written in tx, to the live
// subscribers of its order once tx has committed — never when it rolls
// back. It does nothing for events without an order or when ctx carries no
// broker. A shared broker writes it to the outbox instead, for the bus.
func PublishOnCommit(ctx context.Context, tx *ent.Tx, e *ent.AuditEvent) error {
	if e == nil || e.OrderID == nil {
		return nil
	}
	if b := BrokerFrom(ctx); b != nil && b.shared {
		return outbox.Add(ctx, tx, outbox.Event{Type: outbox.LiveEvent, SubjectType: "AuditEvent", SubjectID: e.ID})
	}
	onCommit(ctx, tx, func(p *pending) { p.events = append(p.events, e) })
	return nil
}

// Share makes the broker one of several servers' behind a bus: what
// commits here goes, through the outbox, to the bus, and every server's
// listener hands it back to its own broker (Deliver) — so a subscriber on
// any server sees what commits on all of them, once.
func (b *Broker) Share() { b.shared = true }

// Deliver hands the committed record the bus names — a notification or a
// timeline event, by id — to this server's subscribers, read from c.
func (b *Broker) Deliver(ctx context.Context, c *ent.Client, kind string, id int) error {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	switch kind {
	case "notification":
		n, err := c.Notification.Get(ctx, id)
		if err != nil {
			return err
		}
		b.Publish([]*ent.Notification{n})
	case "event":
		e, err := c.AuditEvent.Get(ctx, id)
		if err != nil {
			return err
		}
		b.PublishEvent(e)
	}
	return nil
}

// pending is what one transaction publishes after it commits. A single
// commit hook per transaction publishes it in the order it was queued (one
// hook per item would run them in reverse: ent nests commit hooks).
type pending struct {
	mu            sync.Mutex
	notifications []*ent.Notification
	events        []*ent.AuditEvent
}

// onCommit queues items of tx for the broker of ctx.
func onCommit(ctx context.Context, tx *ent.Tx, add func(*pending)) {
	b := BrokerFrom(ctx)
	if b == nil {
		return
	}
	v, loaded := b.pending.LoadOrStore(tx, &pending{})
	p := v.(*pending)
	if !loaded {
		tx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(ctx context.Context, t *ent.Tx) error {
				b.pending.Delete(tx)
				if err := next.Commit(ctx, t); err != nil {
					return err
				}
				b.flush(p)
				return nil
			})
		})
		tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
			return ent.RollbackFunc(func(ctx context.Context, t *ent.Tx) error {
				b.pending.Delete(tx)
				return next.Rollback(ctx, t)
			})
		})
	}
	p.mu.Lock()
	add(p)
	p.mu.Unlock()
}

// flush detaches the committed entities from their transaction and
// publishes them. Publishing never blocks, so the committing request does
// not wait for subscribers.
func (b *Broker) flush(p *pending) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range p.notifications {
		n.Unwrap()
	}
	for _, e := range p.events {
		e.Unwrap()
	}
	b.Publish(p.notifications)
	for _, e := range p.events {
		b.PublishEvent(e)
	}
}
