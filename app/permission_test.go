package app_test

import (
	"slices"
	"strings"
	"testing"

	"orderdesk/app/apptest"
	"orderdesk/auth"
	"orderdesk/graph/generated"
)

// operation is one root field with a request that exercises it and the
// roles that may run it. The inputs may well fail business checks; what the
// test asserts is only whether access itself is granted or refused.
type operation struct {
	query string
	vars  func(f fixture) apptest.Vars
	allow []string // roles; "*" is every signed-in role
	// public operations are open to anonymous callers too.
	public bool
}

type fixture struct{ customerID, stockItemID, userID string }

var (
	everyone       = []string{"*"}
	adminOnly      = []string{"ADMIN"}
	customerWriter = []string{"ADMIN", "SALES_MANAGER", "SALES_REP"}
	stockWriter    = []string{"ADMIN", "SALES_MANAGER", "WAREHOUSE"}
	stockMover     = []string{"ADMIN", "WAREHOUSE"}
	paymentReader  = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "FINANCE", "SUPPORT", "AUDITOR", "INTEGRATOR"}
	complaintRead  = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "FINANCE", "SUPPORT", "AUDITOR"}
	orderWriter    = []string{"ADMIN", "SALES_MANAGER", "SALES_REP"}
	reviewer       = []string{"ADMIN", "SALES_MANAGER"}
	finance        = []string{"ADMIN", "FINANCE"}
	fulfiller      = []string{"ADMIN", "WAREHOUSE"}
	cancelAsker    = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "SUPPORT"}
	approver       = []string{"ADMIN", "SALES_MANAGER", "FINANCE"}
	returnAsker    = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "SUPPORT"}
	exceptionDesk  = []string{"ADMIN", "SALES_MANAGER", "WAREHOUSE", "SUPPORT"}
	complaintDesk  = []string{"ADMIN", "SALES_MANAGER", "SUPPORT"}
	statsReader    = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "FINANCE", "AUDITOR"}
	inboxReader    = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "FINANCE", "WAREHOUSE", "SUPPORT", "AUDITOR"}
	invoiceReader  = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "FINANCE", "AUDITOR"}
	// The contact log: read by every staff role (warehouse and auditors
	// read only), logged by those who talk to customers and by finance,
	// follow-ups completed by sales and support.
	contactReader = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "FINANCE", "WAREHOUSE", "SUPPORT", "AUDITOR"}
	contactLogger = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "FINANCE", "SUPPORT"}
	followUpper   = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "SUPPORT"}
	// Webhooks are managed by administrators and integrators.
	webhooker = []string{"ADMIN", "INTEGRATOR"}
)

// onRecord is a mutation on a nonexistent record: access is decided
// before the record is looked up.
func onRecord(query string, allow []string) operation { return onOrder(query, allow) }

func stats(field, groupBy string) operation {
	return operation{query: `{ ` + field + `(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", groupBy: ` + groupBy + `) { key count } }`,
		vars: noVars, allow: statsReader}
}

// onOrder is a mutation on a nonexistent order: access is decided before
// the order is looked up.
func onOrder(query string, allow []string) operation {
	return operation{query: query, allow: allow, vars: func(fixture) apptest.Vars { return apptest.Vars{"id": "1"} }}
}

func noVars(fixture) apptest.Vars { return nil }

func conn(field string) operation {
	return operation{query: `{ ` + field + `(first: 1) { totalCount edges { node { id } } } }`, vars: noVars, allow: everyone}
}

// operations must name every Query and Mutation field of the schema.
var operations = map[string]operation{
	"node": {query: `query($id: ID!) { node(id: $id) { id } }`, allow: everyone,
		vars: func(f fixture) apptest.Vars { return apptest.Vars{"id": f.stockItemID} }},
	"nodes": {query: `query($id: ID!) { nodes(ids: [$id]) { id } }`, allow: everyone,
		vars: func(f fixture) apptest.Vars { return apptest.Vars{"id": f.stockItemID} }},
	"me":             {query: `{ me { role permissions } }`, vars: noVars, allow: everyone},
	"auditEvents":    conn("auditEvents"),
	"cancellations":  conn("cancellations"),
	"corrections":    conn("corrections"),
	"customers":      conn("customers"),
	"orders":         conn("orders"),
	"returns":        conn("returns"),
	"shipments":      conn("shipments"),
	"stockItems":     conn("stockItems"),
	"stockMovements": conn("stockMovements"),
	"users":          conn("users"),
	"complaints":     withAllow(conn("complaints"), complaintRead),
	"contacts":       withAllow(conn("contacts"), contactReader),
	// Notices to customers are the outbound side of the contact log.
	"customerNotices":   withAllow(conn("customerNotices"), contactReader),
	"payments":          withAllow(conn("payments"), paymentReader),
	"invoices":          withAllow(conn("invoices"), invoiceReader),
	"ledgerEntries":     withAllow(conn("ledgerEntries"), paymentReader),
	"apiKeys":           withAllow(conn("apiKeys"), adminOnly),
	"webhookEndpoints":  withAllow(conn("webhookEndpoints"), webhooker),
	"webhookDeliveries": onRecord(`query($id: ID!) { webhookDeliveries(endpointId: $id, first: 1) { totalCount } }`, webhooker),
	// The event catalogue is no secret.
	"webhookEventFamilies": {query: `{ webhookEventFamilies }`, vars: noVars, allow: everyone},
	"createWebhookEndpoint": {query: `mutation { createWebhookEndpoint(input: {url: "ftp://x"}) { errors { code } } }`,
		vars: noVars, allow: webhooker},
	"updateWebhookEndpoint": onRecord(`mutation($id: ID!) { updateWebhookEndpoint(input: {id: $id}) { errors { code } } }`, webhooker),
	"deleteWebhookEndpoint": onRecord(`mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { errors { code } } }`, webhooker),
	"rotateWebhookSecret":   onRecord(`mutation($id: ID!) { rotateWebhookSecret(input: {id: $id}) { errors { code } } }`, webhooker),
	"redeliverWebhook":      onRecord(`mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) { errors { code } } }`, webhooker),
	"createApiKey": {query: `mutation($id: ID!) { createApiKey(input: {userId: $id, name: ""}) { errors { code } } }`,
		vars: func(f fixture) apptest.Vars { return apptest.Vars{"id": f.userID} }, allow: adminOnly},
	"revokeApiKey": onRecord(`mutation($id: ID!) { revokeApiKey(input: {id: $id}) { errors { code } } }`, adminOnly),

	"login": {query: `mutation { login(input: {email: "nobody@test.local", password: "wrong-password"}) { errors { code } } }`,
		vars: noVars, allow: everyone, public: true},
	"refreshToken": {query: `mutation { refreshToken(input: {refreshToken: "bogus"}) { errors { code } } }`,
		vars: noVars, allow: everyone, public: true},
	"logout": {query: `mutation { logout(input: {refreshToken: "bogus"}) { ok } }`,
		vars: noVars, allow: everyone, public: true},
	"changePassword": {query: `mutation { changePassword(input: {currentPassword: "wrong-password", newPassword: "x"}) { errors { code } } }`,
		vars: noVars, allow: everyone},
	"createUser": {query: `mutation { createUser(input: {email: "bad", name: "", password: "x", role: SUPPORT}) { errors { code } } }`,
		vars: noVars, allow: adminOnly},
	"updateUser": {query: `mutation($id: ID!) { updateUser(input: {id: $id, name: "Renamed"}) { errors { code } } }`,
		vars: func(f fixture) apptest.Vars { return apptest.Vars{"id": f.userID} }, allow: adminOnly},
	"resetUserPassword": {query: `mutation($id: ID!) { resetUserPassword(input: {userId: $id, newPassword: "x"}) { errors { code } } }`,
		vars: func(f fixture) apptest.Vars { return apptest.Vars{"id": f.userID} }, allow: adminOnly},
	"createCustomer": {query: `mutation { createCustomer(input: {name: ""}) { errors { code } } }`,
		vars: noVars, allow: customerWriter},
	"updateCustomer": {query: `mutation($id: ID!) { updateCustomer(input: {id: $id, expectedVersion: 0, name: "X"}) { errors { code } } }`,
		vars: func(f fixture) apptest.Vars { return apptest.Vars{"id": f.customerID} }, allow: customerWriter},
	"createStockItem": {query: `mutation { createStockItem(input: {sku: "", name: "", unitPrice: "-1"}) { errors { code } } }`,
		vars: noVars, allow: stockWriter},
	"updateStockItem": {query: `mutation($id: ID!) { updateStockItem(input: {id: $id, expectedVersion: 0}) { errors { code } } }`,
		vars: func(f fixture) apptest.Vars { return apptest.Vars{"id": f.stockItemID} }, allow: stockWriter},
	"receiveStock": {query: `mutation($id: ID!) { receiveStock(input: {stockItemId: $id, quantity: 0}) { errors { code } } }`,
		vars: func(f fixture) apptest.Vars { return apptest.Vars{"id": f.stockItemID} }, allow: stockMover},
	"createOrder":              onOrder(`mutation($id: ID!) { createOrder(input: {customerId: $id, channel: WEB, lines: []}) { errors { code } } }`, orderWriter),
	"updateDraftOrder":         onOrder(`mutation($id: ID!) { updateDraftOrder(input: {orderId: $id, expectedVersion: 1}) { errors { code } } }`, orderWriter),
	"submitOrder":              onOrder(`mutation($id: ID!) { submitOrder(input: {orderId: $id}) { errors { code } } }`, orderWriter),
	"confirmOrder":             onOrder(`mutation($id: ID!) { confirmOrder(input: {orderId: $id}) { errors { code } } }`, reviewer),
	"rejectOrder":              onOrder(`mutation($id: ID!) { rejectOrder(input: {orderId: $id, reasonCode: PRICE_ERROR}) { errors { code } } }`, reviewer),
	"recordPayment":            onOrder(`mutation($id: ID!) { recordPayment(input: {orderId: $id, amount: "1.00", method: CARD}) { errors { code } } }`, finance),
	"capturePayment":           onOrder(`mutation($id: ID!) { capturePayment(input: {paymentId: $id}) { errors { code } } }`, finance),
	"failPayment":              onOrder(`mutation($id: ID!) { failPayment(input: {paymentId: $id, reason: "declined"}) { errors { code } } }`, finance),
	"cancelPayment":            onOrder(`mutation($id: ID!) { cancelPayment(input: {paymentId: $id, reason: "withdrawn"}) { errors { code } } }`, finance),
	"refundPayment":            onOrder(`mutation($id: ID!) { refundPayment(input: {orderId: $id, amount: "1.00", reason: "goodwill"}) { errors { code } } }`, finance),
	"shipOrder":                onOrder(`mutation($id: ID!) { shipOrder(input: {orderId: $id, carrier: "DHL"}) { errors { code } } }`, fulfiller),
	"markOrderDelivered":       onOrder(`mutation($id: ID!) { markOrderDelivered(input: {orderId: $id}) { errors { code } } }`, fulfiller),
	"completeOrder":            onOrder(`mutation($id: ID!) { completeOrder(input: {orderId: $id}) { errors { code } } }`, reviewer),
	"requestOrderCancellation": onOrder(`mutation($id: ID!) { requestOrderCancellation(input: {orderId: $id, reasonCode: CUSTOMER_REQUEST}) { errors { code } } }`, cancelAsker),
	"cancelOrder":              onOrder(`mutation($id: ID!) { cancelOrder(input: {orderId: $id, reasonCode: CUSTOMER_REQUEST}) { errors { code } } }`, orderWriter),
	"approveOrderCancellation": onOrder(`mutation($id: ID!) { approveOrderCancellation(input: {cancellationId: $id}) { errors { code } } }`, approver),
	"rejectOrderCancellation":  onOrder(`mutation($id: ID!) { rejectOrderCancellation(input: {cancellationId: $id, note: "no"}) { errors { code } } }`, approver),
	"voidOrder":                onOrder(`mutation($id: ID!) { voidOrder(input: {orderId: $id, reasonCode: ENTRY_ERROR}) { errors { code } } }`, reviewer),
	"reorder":                  onOrder(`mutation($id: ID!) { reorder(input: {orderId: $id}) { errors { code } } }`, orderWriter),
	"createReturn":             onOrder(`mutation($id: ID!) { createReturn(input: {orderId: $id, lines: []}) { errors { code } } }`, returnAsker),
	"approveReturn":            onOrder(`mutation($id: ID!) { approveReturn(input: {returnId: $id}) { errors { code } } }`, reviewer),
	"rejectReturn":             onOrder(`mutation($id: ID!) { rejectReturn(input: {returnId: $id, note: "no"}) { errors { code } } }`, reviewer),
	"closeReturn":              onOrder(`mutation($id: ID!) { closeReturn(input: {returnId: $id}) { errors { code } } }`, reviewer),
	"receiveReturn":            onOrder(`mutation($id: ID!) { receiveReturn(input: {returnId: $id, lines: []}) { errors { code } } }`, fulfiller),
	"refundReturn":             onOrder(`mutation($id: ID!) { refundReturn(input: {returnId: $id}) { errors { code } } }`, finance),
	"correctOrder": onOrder(`mutation($id: ID!) { correctOrder(input: {orderId: $id, expectedVersion: 1, errorType: PRICE, cause: ENTRY_ERROR,
		shippingAddress: {line1: "x", city: "y", country: "DE"}}) { errors { code } } }`, orderWriter),
	"approveCorrection":        onOrder(`mutation($id: ID!) { approveCorrection(input: {correctionId: $id}) { errors { code } } }`, reviewer),
	"rejectCorrection":         onOrder(`mutation($id: ID!) { rejectCorrection(input: {correctionId: $id, note: "no"}) { errors { code } } }`, reviewer),
	"reportShipmentException":  onOrder(`mutation($id: ID!) { reportShipmentException(input: {shipmentId: $id, status: LOST, note: "lost"}) { errors { code } } }`, exceptionDesk),
	"resolveShipmentException": onOrder(`mutation($id: ID!) { resolveShipmentException(input: {shipmentId: $id, resolution: RESHIPPED}) { errors { code } } }`, exceptionDesk),
	"fileComplaint": onOrder(`mutation($id: ID!) { fileComplaint(input: {customerId: $id, category: DELIVERY, severity: LOW,
		subject: "late", description: "late"}) { errors { code } } }`, returnAsker),
	"assignComplaint":          onOrder(`mutation($id: ID!) { assignComplaint(input: {complaintId: $id, assigneeId: $id}) { errors { code } } }`, complaintDesk),
	"resolveComplaint":         onOrder(`mutation($id: ID!) { resolveComplaint(input: {complaintId: $id, resolution: "done"}) { errors { code } } }`, complaintDesk),
	"closeComplaint":           onOrder(`mutation($id: ID!) { closeComplaint(input: {complaintId: $id}) { errors { code } } }`, complaintDesk),
	"reopenComplaint":          onOrder(`mutation($id: ID!) { reopenComplaint(input: {complaintId: $id, reason: "again"}) { errors { code } } }`, complaintDesk),
	"markNotificationRead":     onOrder(`mutation($id: ID!) { markNotificationRead(input: {id: $id}) { errors { code } } }`, everyone),
	"markAllNotificationsRead": {query: `mutation { markAllNotificationsRead { count } }`, vars: noVars, allow: everyone},
	"openExceptions":           {query: `{ openExceptions(first: 5) { totalCount } }`, vars: noVars, allow: inboxReader},
	"notifications":            {query: `{ notifications(first: 5) { totalCount } }`, vars: noVars, allow: everyone},
	"cancellationStats":        stats("cancellationStats", "REASON"),
	"correctionStats":          stats("correctionStats", "CAUSE"),
	"complaintStats":           stats("complaintStats", "CATEGORY"),
	"returnStats":              stats("returnStats", "REASON"),
	"reasonTrends":             {query: `{ reasonTrends(period: WEEK, periods: 4) { period count } }`, vars: noVars, allow: statsReader},
	"issueInvoice":             onOrder(`mutation($id: ID!) { issueInvoice(input: {orderId: $id}) { errors { code } } }`, finance),
	"creditAndReissueInvoice":  onOrder(`mutation($id: ID!) { creditAndReissueInvoice(input: {invoiceId: $id, reason: "wrong address"}) { errors { code } } }`, finance),
	"adjustStock": {query: `mutation($id: ID!) { adjustStock(input: {stockItemId: $id, delta: 0, reason: OTHER}) { errors { code } } }`,
		vars: func(f fixture) apptest.Vars { return apptest.Vars{"id": f.stockItemID} }, allow: stockMover},
	"logContact": onOrder(`mutation($id: ID!) { logContact(input: {customerId: $id, channel: PHONE, direction: OUTBOUND,
		summary: "call"}) { errors { code } } }`, contactLogger),
	"completeFollowUp": onOrder(`mutation($id: ID!) { completeFollowUp(input: {contactId: $id}) { errors { code } } }`, followUpper),
	"withholdCustomerNotice": onOrder(`mutation($id: ID!) { withholdCustomerNotice(input: {noticeId: $id, reason: "r"}) { errors { code } } }`,
		contactLogger),
	"resendCustomerNotice": onOrder(`mutation($id: ID!) { resendCustomerNotice(input: {noticeId: $id}) { errors { code } } }`, contactLogger),
}

func withAllow(op operation, roles []string) operation { op.allow = roles; return op }

// TestPermissionTable runs every root operation of the schema as every role
// and as an anonymous caller, and checks each is allowed or refused exactly
// as the table says. A new operation without an entry fails the test.
func TestPermissionTable(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	var fields []string
	for _, def := range []string{"Query", "Mutation"} {
		for _, f := range schema.Types[def].Fields {
			if !strings.HasPrefix(f.Name, "__") {
				fields = append(fields, f.Name)
			}
		}
	}
	for _, name := range fields {
		if _, ok := operations[name]; !ok {
			t.Errorf("operation %s has no entry in the permission table", name)
		}
	}
	for name := range operations {
		if !slices.Contains(fields, name) {
			t.Errorf("the permission table names %s, which the schema does not have", name)
		}
	}

	env := apptest.New(t)
	f := permissionFixture(t, env)
	roles := append([]string{""}, rolesOf(auth.Roles)...)
	clients := map[string]*apptest.Client{}
	for _, r := range roles {
		clients[r] = env.As(t, r)
	}
	for _, name := range fields {
		op, ok := operations[name]
		if !ok {
			continue
		}
		vars := apptest.Vars(nil)
		if op.vars != nil {
			vars = op.vars(f)
		}
		for _, role := range roles {
			r := clients[role].Do(t, op.query, vars)
			got := access(r)
			want := expected(op, role)
			if got != want {
				t.Errorf("%s as %q: %s, want %s (errors %+v)", name, role, got, want, r.Errors)
			}
		}
	}
}

func rolesOf(rs []auth.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func access(r apptest.Response) string {
	for _, c := range r.Codes() {
		if c == "UNAUTHENTICATED" || c == "FORBIDDEN" {
			return c
		}
	}
	return "ALLOWED"
}

func expected(op operation, role string) string {
	switch {
	case role == "" && !op.public:
		return "UNAUTHENTICATED"
	case role == "" || slices.Contains(op.allow, "*") || slices.Contains(op.allow, role):
		return "ALLOWED"
	default:
		return "FORBIDDEN"
	}
}

func permissionFixture(t *testing.T, env *apptest.Env) fixture {
	var out struct {
		CreateStockItem struct{ StockItem struct{ ID string } }
		CreateCustomer  struct{ Customer struct{ ID string } }
	}
	env.As(t, "ADMIN").MustDo(t, `mutation {
		createStockItem(input: {sku: "PERM-1", name: "Probe", unitPrice: "1.00"}) { stockItem { id } }
		createCustomer(input: {name: "Probe customer"}) { customer { id } } }`, nil, &out)
	return fixture{customerID: out.CreateCustomer.Customer.ID, stockItemID: out.CreateStockItem.StockItem.ID,
		userID: apptest.ID(env.Users["SUPPORT"].ID)}
}
