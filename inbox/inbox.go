// Package inbox gathers everything that needs a person into one list, the
// way a CRM user starts the day: pending cancellations and severe
// corrections, returns to approve or receive, open shipment exceptions,
// failed or overdue payments, open and overdue complaints, orders held in
// review by a failed check, and the viewer's own follow-ups of contacts
// that came due. Each source is one query through the viewer's context,
// so privacy scopes the list to what the viewer may see, and sources the
// viewer's role may not read are left out rather than refused.
//
// The database does the work: each source's query carries the filters,
// its order and its limit, and counts are COUNTs, so the inbox is right
// at any size. A page is read with keyset cursors: every source reads its
// first rows after the cursor, and the pages merge those short lists.
package inbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"orderdesk/auth"
	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/user"
)

// Category is seed 002's exception category.
type Category string

const (
	Customer  Category = "CUSTOMER"
	Inventory Category = "INVENTORY"
	Logistics Category = "LOGISTICS"
	Payment   Category = "PAYMENT"
	Internal  Category = "INTERNAL"
)

// Item is one thing that needs a person.
type Item struct {
	Kind     string
	Category Category
	Severity string // LOW, MEDIUM, HIGH, CRITICAL
	Title    string
	Since    time.Time
	DueAt    *time.Time
	Order    *ent.Order
	Assignee *ent.User
	Subject  ent.Noder
	// SubjectID identifies the item: each record is in the inbox once.
	SubjectID int
	// source is the rank of the source the item came from.
	source int
}

// Key is an item's place in the inbox, which is ordered oldest first, then
// by source, then by record.
type Key struct {
	Since  time.Time
	Source int
	ID     int
}

// Key is where the item is in the inbox; the next page starts after it.
func (it Item) Key() Key { return Key{Since: it.Since, Source: it.source, ID: it.SubjectID} }

func (k Key) compare(o Key) int {
	return cmp.Or(k.Since.Compare(o.Since), cmp.Compare(k.Source, o.Source), cmp.Compare(k.ID, o.ID))
}

// Filter narrows the inbox.
type Filter struct {
	Category   *Category
	AssigneeID *int
}

// Request says what to read: up to First items after the key After (from
// the start when nil), and, when Count is set, how many items the filter
// keeps in all.
type Request struct {
	Filter
	After *Key
	First int
	Count bool
}

// Page is what Open read.
type Page struct {
	Items []Item
	// HasNext reports that items follow the page.
	HasNext bool
	// Total is the number of items the filter keeps; set when counted.
	Total int
}

// Open reads a page of the open items, oldest first, and their count.
func Open(ctx context.Context, client *ent.Client, r Request, now time.Time) (Page, error) {
	v, err := auth.Require(ctx, auth.InboxRead)
	if err != nil {
		return Page{}, err
	}
	var page Page
	var rows []row
	for rank, src := range sources {
		if !v.Can(src.needs) {
			continue
		}
		where, ok := src.where(r.Filter, now)
		if !ok {
			continue
		}
		if src.personal {
			where = and(where, src.assignee(v.UserID))
		}
		n, got, err := src.read(ctx, client, rank, where, r, now)
		if err != nil {
			return Page{}, fmt.Errorf("inbox source %s: %w", src.name, err)
		}
		page.Total += n
		rows = append(rows, got...)
	}
	rows, page.HasNext = firstRows(rows, r.First)
	page.Items, err = materialize(ctx, client, rows)
	return page, err
}

// read counts the source's items when asked and reads its first r.First+1
// rows after the cursor: the page cannot hold more of them, and one more
// tells whether items follow. A source that counts none is not read.
func (s source) read(ctx context.Context, c *ent.Client, rank int, where pred, r Request, now time.Time) (n int, rows []row, err error) {
	if r.Count {
		if n, err = s.count(ctx, c, where); err != nil || n == 0 {
			return n, nil, err
		}
	}
	if r.First <= 0 {
		return n, nil, nil
	}
	if r.After != nil {
		where = and(where, after(s.since, rank, *r.After))
	}
	rows, err = s.fetch(ctx, c, window{where: where, order: bySince(s.since), limit: r.First + 1, now: now})
	for i := range rows {
		rows[i].key.Source = rank
	}
	return n, rows, err
}

// firstRows merges the sources' rows, each list already in inbox order, into
// the first n of their union, and reports whether more follow. Every source
// read its first n+1 rows, so the first n+1 of the union are among them.
func firstRows(rows []row, n int) ([]row, bool) {
	slices.SortFunc(rows, func(a, b row) int { return a.key.compare(b.key) })
	if len(rows) <= n {
		return rows, false
	}
	return rows[:n], true
}

// materialize loads the orders and assignees of the page's rows, one query
// each for the whole page, and builds the items.
func materialize(ctx context.Context, c *ent.Client, rows []row) ([]Item, error) {
	orders, err := ordersOf(ctx, c, rows)
	if err != nil {
		return nil, err
	}
	users, err := assigneesOf(ctx, c, rows)
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(rows))
	for _, r := range rows {
		o := orders[r.orderID]
		if r.orderID != 0 && o == nil && !r.orderOptional {
			return nil, fmt.Errorf("inbox: order %d of record %d is not readable", r.orderID, r.key.ID)
		}
		it := r.item(o, users[r.assigneeID])
		it.Since, it.SubjectID, it.source = r.key.Since, r.key.ID, r.key.Source
		items = append(items, it)
	}
	return items, nil
}

// ordersOf reads the orders the rows name, as the viewer.
func ordersOf(ctx context.Context, c *ent.Client, rows []row) (map[int]*ent.Order, error) {
	ids := idsOf(rows, func(r row) int { return r.orderID })
	if len(ids) == 0 {
		return nil, nil
	}
	os, err := c.Order.Query().Where(entorder.IDIn(ids...)).All(ctx)
	return byID(os, func(o *ent.Order) int { return o.ID }), err
}

// assigneesOf reads the users the rows are assigned to, as the viewer.
func assigneesOf(ctx context.Context, c *ent.Client, rows []row) (map[int]*ent.User, error) {
	ids := idsOf(rows, func(r row) int { return r.assigneeID })
	if len(ids) == 0 {
		return nil, nil
	}
	us, err := c.User.Query().Where(user.IDIn(ids...)).All(ctx)
	return byID(us, func(u *ent.User) int { return u.ID }), err
}

// idsOf lists the distinct non-zero ids the rows name.
func idsOf(rows []row, id func(row) int) []int {
	var ids []int
	for _, r := range rows {
		if n := id(r); n != 0 {
			ids = append(ids, n)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func byID[T any](xs []T, id func(T) int) map[int]T {
	m := make(map[int]T, len(xs))
	for _, x := range xs {
		m[id(x)] = x
	}
	return m
}
