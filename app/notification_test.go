package app_test

import (
	"fmt"
	"testing"
	"time"

	"orderdesk/account"
	"orderdesk/app/apptest"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/notification"
)

const notificationPage = `query($unread: Boolean, $first: Int, $after: Cursor) {
	notifications(unreadOnly: $unread, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id kind readAt recipient { id } } } } }`

type notificationNode struct {
	ID, Kind  string
	ReadAt    *time.Time
	Recipient struct{ ID string }
}

type notificationConn struct {
	Notifications struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Edges []struct {
			Cursor string
			Node   notificationNode
		}
	}
}

func (c notificationConn) kinds() []string {
	var ks []string
	for _, e := range c.Notifications.Edges {
		ks = append(ks, e.Node.Kind)
	}
	return ks
}

// notifyUser writes a notification of kind to the user, created at when
// (and read then when read is true).
func notifyUser(t *testing.T, env *apptest.Env, userID int, kind string, when time.Time, read bool) *ent.Notification {
	t.Helper()
	c := env.DB.Client.Notification.Create().SetRecipientID(userID).SetKind(kind).SetTitle("About " + kind).
		SetSubjectType("Order").SetSubjectID(1).SetCreatedAt(when)
	if read {
		c.SetReadAt(when)
	}
	return c.SaveX(env.Sys)
}

func notificationsOf(t *testing.T, c *apptest.Client, unread bool, first int, after *string) notificationConn {
	t.Helper()
	var out notificationConn
	vars := apptest.Vars{"unread": unread, "first": first}
	if after != nil {
		vars["after"] = *after
	}
	c.MustDo(t, notificationPage, vars, &out)
	return out
}

func sameKinds(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
}

// TestNotifications_ListAndMarkRead: the viewer's notifications come newest
// first, page by cursor and filter to unread; marking one read is the
// recipient's alone (anyone else gets NOT_FOUND) and marking one twice
// keeps the first time; marking all read counts what it marked.
func TestNotifications_ListAndMarkRead(t *testing.T) {
	w := newWorld(t)
	env := w.env
	repID, rep2ID := env.Users["SALES_REP"].ID, env.Users["REP2"].ID
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i := 1; i <= 5; i++ {
		notifyUser(t, env, repID, fmt.Sprintf("test.%d", i), base.Add(time.Duration(i)*time.Minute), i == 2 || i == 4)
	}
	other := notifyUser(t, env, rep2ID, "test.rep2", base, false)
	// A real one: the manager confirms the rep's order (newest of all).
	w.createConfirmed(t, 1, 0)
	rep, rep2, admin := env.As(t, "SALES_REP"), env.As(t, "REP2"), env.As(t, "ADMIN")

	// Newest first, two at a time.
	p := notificationsOf(t, rep, false, 2, nil)
	sameKinds(t, "page 1", p.kinds(), "order.confirmed", "test.5")
	if p.Notifications.TotalCount != 6 || !p.Notifications.PageInfo.HasNextPage {
		t.Fatalf("page 1: total %d, next %v", p.Notifications.TotalCount, p.Notifications.PageInfo.HasNextPage)
	}
	for _, e := range p.Notifications.Edges {
		if e.Node.Recipient.ID != apptest.ID(repID) {
			t.Fatalf("notification %s of user %s in the rep's list", e.Node.ID, e.Node.Recipient.ID)
		}
	}
	p = notificationsOf(t, rep, false, 2, p.Notifications.PageInfo.EndCursor)
	sameKinds(t, "page 2", p.kinds(), "test.4", "test.3")
	p = notificationsOf(t, rep, false, 2, p.Notifications.PageInfo.EndCursor)
	sameKinds(t, "page 3", p.kinds(), "test.2", "test.1")
	if p.Notifications.PageInfo.HasNextPage {
		t.Fatal("page 3 says there is more")
	}

	// Unread only.
	p = notificationsOf(t, rep, true, 10, nil)
	sameKinds(t, "unread", p.kinds(), "order.confirmed", "test.5", "test.3", "test.1")
	if p.Notifications.TotalCount != 4 {
		t.Fatalf("unread total %d, want 4", p.Notifications.TotalCount)
	}
	confirmed := p.Notifications.Edges[0].Node
	p = notificationsOf(t, rep, true, 1, nil)
	p = notificationsOf(t, rep, true, 1, p.Notifications.PageInfo.EndCursor)
	sameKinds(t, "unread page 2", p.kinds(), "test.5")

	// An auditor-level viewer (audit:read) still lists only their own.
	if p := notificationsOf(t, admin, false, 10, nil); p.Notifications.TotalCount != 0 {
		t.Fatalf("the admin lists %v", p.kinds())
	}
	sameKinds(t, "rep2", notificationsOf(t, rep2, false, 10, nil).kinds(), "test.rep2")

	// Mark one read: twice, the second keeps the first time.
	const mark = `mutation($id: ID!) { markNotificationRead(input: {id: $id}) {
		notification { id kind readAt } errors { code field message } } }`
	var marked struct{ Notification *notificationNode }
	must(t, mutate(t, rep, "markNotificationRead", mark, apptest.Vars{"id": confirmed.ID}, &marked))
	if marked.Notification == nil || marked.Notification.ID != confirmed.ID || marked.Notification.ReadAt == nil {
		t.Fatalf("marked: %+v", marked.Notification)
	}
	first := *marked.Notification.ReadAt
	time.Sleep(10 * time.Millisecond)
	must(t, mutate(t, rep, "markNotificationRead", mark, apptest.Vars{"id": confirmed.ID}, &marked))
	if marked.Notification.ReadAt == nil || !marked.Notification.ReadAt.Equal(first) {
		t.Fatalf("marking again moved readAt from %s to %v", first, marked.Notification.ReadAt)
	}
	sameKinds(t, "unread after marking", notificationsOf(t, rep, true, 10, nil).kinds(), "test.5", "test.3", "test.1")

	// Another user's notification is not found, for a rep and an admin
	// alike, and stays unread.
	for _, c := range []*apptest.Client{rep, admin} {
		marked.Notification = nil
		wantCode(t, mutate(t, c, "markNotificationRead", mark, apptest.Vars{"id": apptest.ID(other.ID)}, &marked), "NOT_FOUND")
		if marked.Notification != nil {
			t.Fatalf("refused mark returned %+v", marked.Notification)
		}
	}
	wantCode(t, mutate(t, rep, "markNotificationRead", mark, apptest.Vars{"id": "999999"}, nil), "NOT_FOUND")
	if n := env.DB.Client.Notification.GetX(env.Sys, other.ID); n.ReadAt != nil {
		t.Fatal("another user's notification was marked read")
	}

	// Mark all read: counts the rep's unread ones, then none.
	const markAll = `mutation { markAllNotificationsRead { count errors { code } } }`
	var all struct{ Count int }
	must(t, mutate(t, rep, "markAllNotificationsRead", markAll, nil, &all))
	if all.Count != 3 {
		t.Fatalf("marked %d, want 3", all.Count)
	}
	must(t, mutate(t, rep, "markAllNotificationsRead", markAll, nil, &all))
	if all.Count != 0 {
		t.Fatalf("marked %d again, want 0", all.Count)
	}
	if p := notificationsOf(t, rep, true, 10, nil); p.Notifications.TotalCount != 0 || len(p.Notifications.Edges) != 0 {
		t.Fatalf("unread after marking all: %v", p.kinds())
	}
	if n := env.DB.Client.Notification.Query().Where(notification.RecipientID(rep2ID), notification.ReadAtIsNil()).
		CountX(env.Sys); n != 1 {
		t.Fatalf("rep2 has %d unread, want 1", n)
	}
	// The read time of those read before is kept.
	if n := env.DB.Client.Notification.Query().Where(notification.RecipientID(repID), notification.Kind("test.2")).
		OnlyX(env.Sys); n.ReadAt == nil || !n.ReadAt.Equal(base.Add(2*time.Minute)) {
		t.Fatalf("test.2 read at %v, want %s", n.ReadAt, base.Add(2*time.Minute))
	}

	// Anonymous callers are refused.
	anon := env.As(t, "")
	for _, q := range []string{`{ notifications { totalCount } }`, `mutation { markAllNotificationsRead { count } }`} {
		if r := anon.Do(t, q, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Fatalf("%s as anonymous: %+v", q, r.Errors)
		}
	}
}

// TestNotificationsArePersonal: not even an admin or auditor reads another
// user's notifications, by id or otherwise, nor marks them read.
func TestNotificationsArePersonal(t *testing.T) {
	w := newWorld(t)
	w.createConfirmed(t, 1, 1) // tells the rep and the warehouse
	n := w.env.DB.Client.Notification.Query().FirstX(w.env.Sys)
	for _, role := range []string{"ADMIN", "AUDITOR", "REP2"} {
		r := w.env.As(t, role).Do(t, `query($id: ID!) { node(id: $id) { id } }`, apptest.Vars{"id": apptest.ID(n.ID)})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Errorf("%s reading notification %d: %+v", role, n.ID, r.Errors)
		}
		wantCode(t, mutate(t, w.env.As(t, role), "markNotificationRead", `mutation($id: ID!) { markNotificationRead(input: {id: $id}) {
			errors { code } } }`, apptest.Vars{"id": apptest.ID(n.ID)}, nil), "NOT_FOUND")
	}
	if got := w.env.DB.Client.Notification.GetX(w.env.Sys, n.ID); got.ReadAt != nil {
		t.Fatal("another user marked the notification read")
	}
}

// TestRoleMembersFollowAccountChanges: the members of a role are
// remembered between notifications, but a new account, or one that left,
// is told (or not) from the next notification on.
func TestRoleMembersFollowAccountChanges(t *testing.T) {
	w := newWorld(t)
	pay := func() {
		t.Helper()
		o := w.createConfirmed(t, 0, 1)
		must(t, lcDo(t, w, "FINANCE", "recordPayment", qPay, apptest.Vars{"id": o.ID, "a": o.Total.Amount}))
		must(t, lcDo(t, w, "SALES_REP", "requestOrderCancellation", `mutation($id: ID!) { requestOrderCancellation(input: {orderId: $id,
			reasonCode: CUSTOMER_REQUEST}) { `+userErrors+` } }`, apptest.Vars{"id": o.ID}))
	}
	pay() // finance is asked to approve: the role's members are now remembered
	second := w.env.CreateUser(t, "finance2@test.local", auth.Finance)
	pay()
	count := func(id int) int {
		return w.env.DB.Client.Notification.Query().Where(notification.RecipientID(id),
			notification.Kind("cancellation.requested")).CountX(w.env.Sys)
	}
	if n := count(second.ID); n != 1 {
		t.Errorf("the new finance account got %d requests, want the one after it was created", n)
	}
	inactive := false
	if _, err := w.env.Accounts.UpdateUser(w.env.Sys, account.UpdateUserRequest{ID: second.ID, Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	pay()
	if n := count(second.ID); n != 1 {
		t.Errorf("the deactivated finance account got %d requests, want still 1", n)
	}
}
