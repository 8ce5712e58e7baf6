package auth

import "slices"

// Permission is one fine-grained right. Roles are bundles of permissions; the
// API reports a viewer's permissions in `me` so clients can hide what the
// viewer may not do.
type Permission string

const (
	UserRead    Permission = "user:read"
	UserManage  Permission = "user:manage"
	AuditRead   Permission = "audit:read"
	StatsRead   Permission = "stats:read"
	InboxRead   Permission = "exception:read"
	PaymentRead Permission = "payment:read"

	CustomerRead       Permission = "customer:read"
	CustomerCreditRead Permission = "customer:credit:read"
	CustomerWrite      Permission = "customer:write"
	CustomerCreditEdit Permission = "customer:credit:write"

	StockRead    Permission = "stock:read"
	StockWrite   Permission = "stock:write"
	StockReceive Permission = "stock:receive"
	StockAdjust  Permission = "stock:adjust"

	OrderRead             Permission = "order:read"
	OrderCreate           Permission = "order:create"
	OrderReview           Permission = "order:review"
	OrderReviewOverride   Permission = "order:review:override"
	OrderCancelRequest    Permission = "order:cancel:request"
	OrderCancel           Permission = "order:cancel"
	OrderCancelApprove    Permission = "order:cancel:approve"
	OrderCancelApproveFin Permission = "order:cancel:approve:finance"
	OrderVoid             Permission = "order:void"
	OrderReorder          Permission = "order:reorder"
	OrderFulfil           Permission = "order:fulfil"
	OrderComplete         Permission = "order:complete"
	OrderCorrect          Permission = "order:correct"
	OrderCorrectApprove   Permission = "order:correct:approve"

	PaymentRecord Permission = "payment:record"
	PaymentCancel Permission = "payment:cancel"
	RefundExecute Permission = "refund:execute"

	ReturnRequest Permission = "return:request"
	ReturnApprove Permission = "return:approve"
	ReturnReceive Permission = "return:receive"

	ShipmentException Permission = "shipment:exception"

	ComplaintRead   Permission = "complaint:read"
	ComplaintFile   Permission = "complaint:file"
	ComplaintManage Permission = "complaint:manage"

	// Contacts with customers: reading the contact log, logging a contact,
	// completing a follow-up.
	ContactRead     Permission = "contact:read"
	ContactLog      Permission = "contact:log"
	ContactFollowUp Permission = "contact:follow-up"

	// Invoices and credit notes: reading them, issuing and crediting them.
	InvoiceRead  Permission = "invoice:read"
	InvoiceIssue Permission = "invoice:issue"

	// Webhooks: managing endpoints and reading their deliveries.
	WebhookManage Permission = "webhook:manage"
)

// All lists every permission, in a stable order.
var All = []Permission{
	UserRead, UserManage, AuditRead, StatsRead, InboxRead, PaymentRead,
	CustomerRead, CustomerCreditRead, CustomerWrite, CustomerCreditEdit,
	StockRead, StockWrite, StockReceive, StockAdjust,
	OrderRead, OrderCreate, OrderReview, OrderReviewOverride, OrderCancelRequest, OrderCancel,
	OrderCancelApprove, OrderCancelApproveFin, OrderVoid, OrderReorder, OrderFulfil,
	OrderComplete, OrderCorrect, OrderCorrectApprove,
	PaymentRecord, PaymentCancel, RefundExecute,
	ReturnRequest, ReturnApprove, ReturnReceive, ShipmentException,
	ComplaintRead, ComplaintFile, ComplaintManage,
	ContactRead, ContactLog, ContactFollowUp,
	InvoiceRead, InvoiceIssue, WebhookManage,
}

// Role is a user's job; it decides their permissions and, for sales reps,
// that they see only their own customers.
type Role string

const (
	Admin        Role = "ADMIN"
	SalesManager Role = "SALES_MANAGER"
	SalesRep     Role = "SALES_REP"
	Finance      Role = "FINANCE"
	Warehouse    Role = "WAREHOUSE"
	Support      Role = "SUPPORT"
	Auditor      Role = "AUDITOR"
	Integrator   Role = "INTEGRATOR"
)

// Roles lists every role.
var Roles = []Role{Admin, SalesManager, SalesRep, Finance, Warehouse, Support, Auditor, Integrator}

// readAll is what a reader of everything gets.
var readAll = []Permission{UserRead, AuditRead, StatsRead, InboxRead, PaymentRead,
	CustomerRead, CustomerCreditRead, StockRead, OrderRead, ComplaintRead, ContactRead, InvoiceRead}

// rolePermissions is the table of DESIGN.md's "Roles and what they may do".
var rolePermissions = map[Role][]Permission{
	Admin: All,
	SalesManager: append(slices.Clone(readAll),
		CustomerWrite, CustomerCreditEdit, StockWrite, OrderCreate, OrderReview, OrderReviewOverride, OrderCancelRequest,
		OrderCancel, OrderCancelApprove, OrderVoid, OrderReorder, OrderComplete,
		OrderCorrect, OrderCorrectApprove, ReturnRequest, ReturnApprove,
		ShipmentException, ComplaintFile, ComplaintManage, ContactLog, ContactFollowUp),
	SalesRep: {UserRead, StatsRead, InboxRead, PaymentRead, CustomerRead, CustomerCreditRead,
		CustomerWrite, StockRead, OrderRead, ComplaintRead,
		OrderCreate, OrderCancelRequest, OrderCancel, OrderReorder, OrderCorrect,
		ReturnRequest, ComplaintFile, ContactRead, ContactLog, ContactFollowUp, InvoiceRead},
	Finance: {UserRead, StatsRead, InboxRead, PaymentRead, CustomerRead, CustomerCreditRead,
		CustomerCreditEdit, StockRead, OrderRead, ComplaintRead,
		PaymentRecord, PaymentCancel, RefundExecute, OrderCancelApproveFin, ContactRead, ContactLog,
		InvoiceRead, InvoiceIssue},
	// Warehouse staff see orders and customers' addresses but no credit
	// data; they read the contact log (what was agreed about a delivery)
	// but log none.
	Warehouse: {UserRead, InboxRead, CustomerRead, StockRead, OrderRead, ContactRead,
		StockWrite, StockReceive, StockAdjust, OrderFulfil, ReturnReceive, ShipmentException},
	Support: {UserRead, InboxRead, PaymentRead, CustomerRead, StockRead, OrderRead, ComplaintRead,
		ComplaintFile, ComplaintManage, OrderCancelRequest, ReturnRequest, ShipmentException,
		ContactRead, ContactLog, ContactFollowUp},
	Auditor: readAll,
	// An integrator reads; what else it may do is granted per account as scopes.
	Integrator: {UserRead, CustomerRead, StockRead, OrderRead, PaymentRead, WebhookManage},
}

// Grantable reports whether p may be granted to an integrator as a scope.
// Managing users is never delegated to a machine account.
func Grantable(p Permission) bool {
	return p != UserManage && slices.Contains(All, p)
}

// PermissionsOf returns a role's permissions plus the granted scopes that
// are grantable, sorted and without duplicates.
func PermissionsOf(role Role, scopes []string) []Permission {
	ps := slices.Clone(rolePermissions[role])
	if role == Integrator {
		for _, s := range scopes {
			if p := Permission(s); Grantable(p) {
				ps = append(ps, p)
			}
		}
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }
