//go:build ignore

// entc generates the ent client and the GraphQL schema of the ent types.
// It runs from the module root through generate.go.
package main

import (
	"fmt"
	"log"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		// entgql's templates, then ours: a template defined again later
		// replaces entgql's of the same name.
		entgql.WithTemplates(append(slices.Clone(entgql.AllTemplates),
			gen.MustParse(gen.NewTemplate("orderdesk").Funcs(entgql.TemplateFuncs).
				Funcs(template.FuncMap{"trimSuffix": strings.TrimSuffix}).
				ParseFiles("./ent/template/pagination.tmpl", "./ent/template/money.tmpl",
					"./ent/template/collection.tmpl", "./ent/template/nodes.tmpl")))...),
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./schema/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithSchemaHook(nonNullConnections, oneSpellingOfId, describeTypes, describeConnections, describeScalars, describeGenerated, describeEnumValues),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
			gen.FeatureGlobalID,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// nonNullConnections gives every connection non-null edges, each with a
// non-null node, and a nodes field (ent/template/nodes.tmpl): ent never
// puts a null in either, and strict clients should not have to check.
func nonNullConnections(_ *gen.Graph, s *ast.Schema) error {
	for name, conn := range s.Types {
		edges := conn.Fields.ForName("edges")
		if !strings.HasSuffix(name, "Connection") || edges == nil || edges.Type.Elem == nil {
			continue
		}
		edge := s.Types[edges.Type.Elem.NamedType]
		node := edge.Fields.ForName("node")
		if node == nil {
			continue
		}
		edges.Type = ast.NonNullListType(ast.NonNullNamedType(edge.Name, nil), nil)
		node.Type = ast.NonNullNamedType(node.Type.NamedType, nil)
		nodes := &ast.FieldDefinition{Name: "nodes",
			Description: "The nodes of the edges, in order: for clients that need no cursors.",
			Type:        ast.NonNullListType(ast.NonNullNamedType(node.Type.NamedType, nil), nil)}
		at := slices.Index(conn.Fields, edges) + 1
		conn.Fields = slices.Insert(conn.Fields, at, nodes)
	}
	return nil
}

// idSuffix finds the ID that ends a field's name or comes before a filter's
// operator (customerID, customerIDIn, subjectIDGT).
var idSuffix = regexp.MustCompile(`^([a-z][A-Za-z0-9]*)ID(s|In|NotIn|GT|GTE|LT|LTE|NEQ|IsNil|NotNil)?$`)

// oneSpellingOfId names ent's id fields as the hand-written inputs do:
// customerId, not customerID, in outputs and filters alike. gqlgen binds
// them to ent's CustomerID fields all the same.
func oneSpellingOfId(_ *gen.Graph, s *ast.Schema) error {
	for _, def := range s.Types {
		for _, f := range def.Fields {
			f.Name = idSuffix.ReplaceAllString(f.Name, "${1}Id${2}")
		}
	}
	return nil
}

// describeTypes gives each ent type the description its schema states in a
// schema.Comment annotation: entgql takes fields' and edges' comments, not
// the type's.
func describeTypes(g *gen.Graph, s *ast.Schema) error {
	for _, t := range g.Nodes {
		comment, ok := t.Annotations[(&schema.CommentAnnotation{}).Name()].(map[string]any)
		def := s.Types[graphQLName(t)]
		if !ok || def == nil {
			continue
		}
		if text, _ := comment["Text"].(string); text != "" {
			describe(&def.Description, text)
		}
	}
	return nil
}

// graphQLName is the name of an ent type in GraphQL: the entgql.Type it is
// given (APIKey is ApiKey), else its own.
func graphQLName(t *gen.Type) string {
	ant := &entgql.Annotation{}
	if raw, ok := t.Annotations[ant.Name()]; ok && ant.Decode(raw) == nil && ant.Type != "" {
		return ant.Type
	}
	return t.Name
}

// camel is ent's (and entgql's) snake_case to camelCase.
var camel = gen.Funcs["camel"].(func(string) string)

// describeConnections gives the fields of edges that are Relay connections
// (entgql.RelayConnection) their edge's comment: entgql writes an edge's
// comment only on a plain edge field.
func describeConnections(g *gen.Graph, s *ast.Schema) error {
	for _, t := range g.Nodes {
		def := s.Types[graphQLName(t)]
		if def == nil {
			continue
		}
		for _, e := range t.Edges {
			if e.Comment() == "" {
				continue
			}
			names := []string{camel(e.Name)}
			ant := &entgql.Annotation{}
			if raw, ok := e.Annotations[ant.Name()]; ok && ant.Decode(raw) == nil && len(ant.Mapping) > 0 {
				names = ant.Mapping
			}
			for _, name := range names {
				if f := def.Fields.ForName(name); f != nil {
					describe(&f.Description, e.Comment())
				}
			}
		}
	}
	return nil
}

// describeScalars says what entgql's scalars hold, where it says only "The
// builtin Time type", and points Time at its specification.
func describeScalars(_ *gen.Graph, s *ast.Schema) error {
	if t := s.Types["Time"]; t != nil {
		t.Description = "A point in time: RFC 3339 with a UTC offset and up to nanoseconds, e.g. 2026-12-03T10:15:00Z or 2026-12-03T18:15:00.5+08:00; answers are in UTC."
		t.Directives = append(t.Directives, &ast.Directive{Name: "specifiedBy", Arguments: ast.ArgumentList{
			{Name: "url", Value: &ast.Value{Kind: ast.StringValue, Raw: "https://scalars.graphql.org/andimarek/date-time"}}}})
	}
	if c := s.Types["Cursor"]; c != nil {
		c.Description = "An opaque position in a connection (Relay's cursor): pass pageInfo.endCursor back as after, or a startCursor as before; its content may change."
	}
	return nil
}

// predicates are the filter suffixes entgql generates, with what they
// match; longest first, so that NotIn is not read as In.
var predicates = []struct{ suffix, says string }{
	{"ContainsFold", "contains this text, in any case"}, {"EqualFold", "is this text, in any case"},
	{"HasPrefix", "starts with this"}, {"HasSuffix", "ends with this"}, {"Contains", "contains this"},
	{"NotNil", "is set"}, {"IsNil", "is not set"}, {"NotIn", "is none of these"}, {"NEQ", "is not this"},
	{"GTE", "is this or greater"}, {"LTE", "is this or less"}, {"GT", "is greater than this"},
	{"LT", "is less than this"}, {"In", "is one of these"},
}

// describeGenerated describes what entgql generates without a word: the
// filters (XWhereInput) and each of their predicates, the edges of
// connections, the fields of ordering enums, and the Query type itself.
// Descriptions written in the ent schema or by entgql are kept.
func describeGenerated(_ *gen.Graph, s *ast.Schema) error {
	for name, def := range s.Types {
		switch {
		case strings.HasSuffix(name, "WhereInput") && def.Kind == ast.InputObject:
			node := strings.TrimSuffix(name, "WhereInput")
			describe(&def.Description, "Filters "+node+"s: every predicate given must hold (and, or and not combine filters).")
			fields := map[string]bool{}
			for _, f := range def.Fields {
				fields[f.Name] = true
			}
			for _, f := range def.Fields {
				describe(&f.Description, predicateSays(f.Name, fields))
			}
		case strings.HasSuffix(name, "Edge") && def.Kind == ast.Object && def.Fields.ForName("cursor") != nil:
			describe(&def.Description, "An edge of a "+strings.TrimSuffix(name, "Edge")+"Connection: a node and its cursor.")
		case def.Kind == ast.Object && slices.Contains(def.Interfaces, "Node"):
			for _, f := range def.Fields {
				describe(&f.Description, nodeFieldSays(f.Name, def))
			}
		case strings.HasSuffix(name, "OrderField") && def.Kind == ast.Enum:
			for _, v := range def.EnumValues {
				describe(&v.Description, "By "+strings.ToLower(strings.ReplaceAll(v.Name, "_", " "))+".")
			}
		}
	}
	if q := s.Types["Query"]; q != nil {
		describe(&q.Description, "What may be read: any record by its id (node, nodes), and lists of records as filtered, ordered Relay connections; each shows only what the viewer may see.")
	}
	if d := s.Types["OrderDirection"]; d != nil {
		for _, v := range d.EnumValues {
			describe(&v.Description, map[string]string{"ASC": "Smallest first.", "DESC": "Largest first."}[v.Name])
		}
	}
	return nil
}

// nodeFieldSays describes the fields every ent type has, and the id
// fields of its edges; "" for the rest.
func nodeFieldSays(name string, def *ast.Definition) string {
	switch name {
	case "id":
		return "Unique across all types: node(id:) fetches it."
	case "createdAt":
		return "When it was created."
	case "updatedAt":
		return "When it last changed."
	case "version":
		return "Counts its changes: send it as expectedVersion to change it only if nobody has since."
	}
	if edge, ok := strings.CutSuffix(name, "Id"); ok && def.Fields.ForName(edge) != nil {
		return "The id of " + edge + ", without loading it."
	}
	return ""
}

// predicateSays is the description of a filter's field name.
func predicateSays(name string, fields map[string]bool) string {
	switch name {
	case "not":
		return "Matches what this filter does not."
	case "and":
		return "Matches what every one of these filters matches."
	case "or":
		return "Matches what any of these filters matches."
	}
	if edge, ok := strings.CutPrefix(name, "has"); ok && edge != "" && edge[0] >= 'A' && edge[0] <= 'Z' {
		if with, ok := strings.CutSuffix(edge, "With"); ok {
			return "Has a " + lowerFirst(with) + " that matches one of these filters."
		}
		return "Has a " + lowerFirst(edge) + " (true) or none (false)."
	}
	for _, p := range predicates {
		if field, ok := strings.CutSuffix(name, p.suffix); ok && field != "" && fields[field] {
			return field + " " + p.says + "."
		}
	}
	return name + " is this."
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// describe sets *d to text unless it says something already.
func describe(d *string, text string) {
	if strings.TrimSpace(*d) == "" || strings.HasSuffix(strings.TrimSpace(*d), "field predicates") ||
		strings.HasSuffix(strings.TrimSpace(*d), "edge predicates") {
		*d = text
	}
}

// enumValues says what the values of ent's enums mean to a client: ent
// enums carry no comment of their own.
var enumValues = map[string]map[string]string{
	"OrderStatus": {
		"DRAFT":          "Being entered: lines and details may still change; nothing is reserved.",
		"PENDING_REVIEW": "Submitted and checked (stock, price, credit, delivery date); held for a manager when a check failed where policy allows.",
		"CONFIRMED":      "Accepted: stock reserved, payments may be taken; may ship in one or more shipments.",
		"SHIPPED":        "Every open line has shipped.",
		"DELIVERED":      "The customer has the goods; returns go through a ReturnOrder.",
		"COMPLETED":      "Delivered, settled and with nothing open: final.",
		"REJECTED":       "Refused at review, with its reason: final (reorder makes a new draft).",
		"CANCELLED":      "Cancelled before shipment: stock released, money refunded or payments cancelled; final.",
		"VOIDED":         "Invalidated for good (entered in error, fraud): stock released, money refunded; can never be undone.",
	},
	"CancellationRecordStatus": {
		"AWAITING_CUSTOMER": "Sent to the customer's confirmation page; waits for their answer before any approval.",
		"REQUESTED":         "Waits for the approvals it needs (a sales manager, and finance where money goes back).",
		"APPROVED":          "Approved and about to execute (it executes in the same transaction as the last approval).",
		"REJECTED":          "Turned down, withdrawn or declined by the customer: the order is unchanged.",
		"EXECUTED":          "Done: the quantities are cancelled, stock released and money moved as its effect says.",
	},
	"ReasonCode": {
		"CUSTOMER_REQUEST": "The customer asked for it.",
		"PAYMENT_FAILED":   "The payment failed.",
		"PAYMENT_TIMEOUT":  "Unpaid past the payment due time (the automatic cancellation gives this).",
		"OUT_OF_STOCK":     "The goods cannot be supplied.",
		"PRICE_ERROR":      "A price was wrong.",
		"ENTRY_ERROR":      "The order was entered wrongly.",
		"DUPLICATE_ORDER":  "The order exists twice.",
		"FRAUD_SUSPECTED":  "Fraud is suspected.",
		"SYSTEM_FAILURE":   "A system failed.",
		"DELIVERY_PROBLEM": "Delivery is not possible.",
		"OTHER":            "Another reason, which the note must give.",
	},
	"PaymentStatus": {
		"PENDING":   "Recorded, not yet collected.",
		"CAPTURED":  "Collected (refunds reduce what may still be refunded).",
		"FAILED":    "The collection failed.",
		"CANCELLED": "Will not be collected (e.g. the order was cancelled).",
	},
	"ReturnOrderStatus": {
		"REQUESTED": "Asked for; waits for approval.",
		"APPROVED":  "Approved; the goods may come back.",
		"REJECTED":  "Turned down.",
		"RECEIVED":  "The goods are back and inspected: resellable ones are in stock again.",
		"REFUNDED":  "The customer has been refunded.",
		"CLOSED":    "Finished.",
	},
	"ShipmentStatus": {
		"IN_TRANSIT":    "On its way.",
		"DELIVERED":     "Delivered.",
		"DELAYED":       "Reported late: a delivery problem, open until exceptionResolvedAt is set.",
		"LOST":          "Reported lost: a delivery problem, open until exceptionResolvedAt is set.",
		"DAMAGED":       "Reported damaged (in transit or on arrival): a delivery problem, open until exceptionResolvedAt is set.",
		"REFUSED":       "Refused by the customer: a delivery problem, open until exceptionResolvedAt is set.",
		"WRONG_ADDRESS": "Not deliverable to the address: a delivery problem, open until exceptionResolvedAt is set.",
	},
	"ShipmentExceptionResolution": {
		"RESHIPPED":         "The goods were sent again in a no-charge REPLACEMENT order (replacementOrder).",
		"ADDRESS_CORRECTED": "The address of the shipment and the order was corrected; the shipment is in transit again.",
		"RETURNED":          "The goods come back: an approved return was opened for them.",
		"REFUNDED":          "The customer was credited the goods' value and refunded what that made due.",
		"DELIVERED":         "The delayed goods arrived after all.",
	},
	"OrderKind": {
		"STANDARD":    "A sale.",
		"REPLACEMENT": "Free of charge: sends again goods of the order it was re-created from (reorderedFrom), for a shipment problem resolved RESHIPPED or a return for EXCHANGE.",
	},
	"OrderChannel": {
		"WEB":       "Ordered online.",
		"EMAIL":     "Ordered by email.",
		"PHONE":     "Ordered by phone.",
		"FAX":       "Ordered by fax.",
		"SALES_REP": "Taken by a sales rep.",
		"API":       "Sent by an integrated system through the API.",
	},
	"OrderReviewHold": {
		"STOCK":         "Not enough stock is available.",
		"PRICE":         "A price or discount is outside what the list price and policy allow.",
		"CREDIT":        "The customer's credit limit does not cover their open unpaid orders and this one.",
		"DELIVERY_DATE": "The requested delivery date is earlier than the lead time allows.",
	},
	"CancellationRecordKind": {
		"CANCEL": "A business cancellation of unshipped goods, of the whole order or some line quantities.",
		"VOID":   "An invalidation of the whole order (entered in error, duplicate, fraud) that can never be undone; it executes at once.",
	},
	"CancellationRecordScope": {
		"FULL":    "The whole order, none of which had shipped.",
		"PARTIAL": "Some line quantities (lines), or the open rest of an order part of which has shipped.",
	},
	"CancellationRecordResolution": {
		"REFUND":  "Recorded as a refund; money due back is refunded whichever the resolution.",
		"REORDER": "The cancelled quantities are also re-created as a new draft order (newOrder).",
		"NONE":    "Nothing beyond the cancellation (money due back is still refunded).",
	},
	"CancellationRecordCustomerDecision": {
		"ACCEPTED": "The customer agreed on the confirmation page.",
		"DECLINED": "The customer refused on the confirmation page: the request is rejected.",
	},
	"OrderCorrectionErrorType": {
		"PRICE":         "A price or discount was wrong.",
		"QUANTITY":      "A quantity was wrong.",
		"PRODUCT":       "The wrong product was ordered (a swap is always SEVERE).",
		"CUSTOMER_INFO": "The customer's contact details were wrong.",
		"ADDRESS":       "The shipping address was wrong.",
		"OTHER":         "Something else was wrong.",
	},
	"OrderCorrectionCause": {
		"ENTRY_ERROR":        "A mistake in entering the order.",
		"HUMAN_ERROR":        "Another human mistake.",
		"DATA_INCONSISTENCY": "Data that did not agree.",
		"SYSTEM_ERROR":       "A system's error.",
	},
	"OrderCorrectionSeverity": {
		"MINOR":  "Within policy: applies at once.",
		"SEVERE": "Moves the total by more than the policy allows, swaps a product or sets a price outside the policy: needs the customer's confirmation and a manager's approval (a manager's own correction applies at once).",
	},
	"OrderCorrectionCustomerDecision": {
		"ACCEPTED": "The customer agreed on the confirmation page: the correction goes on to a manager's approval.",
		"DECLINED": "The customer refused on the confirmation page: the correction is rejected.",
	},
	"ReturnOrderResolution": {
		"REFUND":   "When the goods are received the customer is credited their value; refundReturn pays back what that makes due.",
		"EXCHANGE": "When the goods are received a no-charge REPLACEMENT order of them is made (exchangeOrder).",
		"NONE":     "The goods come back without credit or replacement.",
	},
	"ReturnLineReason": {
		"DAMAGED_IN_TRANSIT": "Damaged on the way.",
		"DEFECTIVE":          "Faulty.",
		"WRONG_ITEM":         "Not what was ordered.",
		"NOT_AS_DESCRIBED":   "Not as described.",
		"NO_LONGER_NEEDED":   "The customer no longer needs it.",
		"REFUSED_DELIVERY":   "The customer refused the delivery.",
		"OTHER":              "Another reason, which the note gives.",
	},
	"ComplaintCategory": {
		"PRODUCT_QUALITY": "The goods' quality.",
		"DELIVERY":        "The delivery.",
		"BILLING":         "Invoices, charges or refunds.",
		"SERVICE":         "How the customer was served.",
		"OTHER":           "Anything else.",
	},
	"ComplaintSeverity": {
		"LOW":      "Due within 7 days (by default).",
		"MEDIUM":   "Due within 3 days (by default).",
		"HIGH":     "Due within 24 hours (by default).",
		"CRITICAL": "Due within 4 hours (by default).",
	},
	"ContactChannel": {
		"PHONE":   "By phone.",
		"EMAIL":   "By email.",
		"MEETING": "In a meeting.",
		"CHAT":    "In a chat.",
		"VISIT":   "On a visit.",
		"OTHER":   "Some other way; also what a scheduled follow-up is logged with.",
	},
	"ContactDirection": {
		"INBOUND":  "The customer contacted us.",
		"OUTBOUND": "We contacted the customer.",
	},
	"ContactOrigin": {
		"LOGGED":         "Logged by a member of staff.",
		"AFTER_DELIVERY": "Scheduled when the order was delivered: the follow-up that asks whether everything arrived well.",
	},
	"CustomerNoticeKind": {
		"ORDER_CONFIRMED":                "The order was confirmed, with its total.",
		"CANCELLATION_EXECUTED":          "The order, or part of it, was cancelled, with what was refunded.",
		"ORDER_VOIDED":                   "The order was voided, with what was refunded.",
		"RETURN_RECEIVED":                "The returned goods arrived.",
		"RETURN_REFUNDED":                "The return was refunded, with the amount.",
		"CORRECTION_AWAITING_CUSTOMER":   "A correction asks for the customer's consent: its changes and the link to the confirmation page.",
		"INVOICE_ISSUED":                 "An invoice was issued: its number, amount and due date.",
		"PAYMENT_OVERDUE":                "A reminder that an invoice is unpaid past its due date.",
		"CANCELLATION_AWAITING_CUSTOMER": "A cancellation asks for the customer's consent: what it cancels and refunds, and the link to the confirmation page.",
	},
	"CustomerNoticeStatus": {
		"QUEUED":  "Waiting to go, or to be tried again after a failed attempt.",
		"SENT":    "Handed to the mail server.",
		"FAILED":  "Given up: the mail server refused it for good, every retry failed, or it could not be written.",
		"SKIPPED": "Not sent: no email channel is configured, the customer has no email address, or staff withheld it.",
	},
	"CustomerNoticeChannel": {
		"EMAIL": "By email to the customer's address.",
		"NONE":  "By no channel: it was skipped or withheld.",
	},
	"InvoiceStatus": {
		"OPEN":     "Something is left to pay.",
		"PAID":     "The order's payments cover it.",
		"CREDITED": "Credit notes took all of it back.",
	},
	"PaymentKind": {
		"CHARGE": "Money from the customer.",
		"REFUND": "Money back to the customer, against a captured charge (refundOf).",
	},
	"PaymentMethod": {
		"CARD":          "A payment card.",
		"BANK_TRANSFER": "A bank transfer.",
		"CASH":          "Cash.",
		"CHECK":         "A cheque.",
		"WALLET":        "A digital wallet.",
		"STORE_CREDIT":  "Store credit.",
		"OTHER":         "Another method.",
	},
	"LedgerEntryKind": {
		"CHARGE_CAPTURED":   "A charge was collected: positive.",
		"REFUND":            "Money was paid back: negative.",
		"PAYMENT_CANCELLED": "A charge was cancelled: zero for a pending one; for a captured one, its amount negative, reversing the capture's entry (reverses).",
		"PAYMENT_FAILED":    "A pending charge failed: zero.",
		"CREDIT_NOTE":       "The customer owes less (goods returned or not delivered, a concession): negative.",
		"REVERSAL":          "Reverses the entry it names in reverses. (No action writes this kind at present: a cancelled capture is reversed by a PAYMENT_CANCELLED entry.)",
	},
	"StockMovementKind": {
		"RECEIPT":        "Goods booked in: on hand up.",
		"ADJUSTMENT":     "A count corrected, goods found, or another adjustment: on hand up or down.",
		"RESERVATION":    "Stock held for an order's lines (at confirmation, or by a correction): reserved up.",
		"RELEASE":        "A reservation given back (by a cancellation or a correction): reserved down.",
		"SHIPMENT":       "Goods shipped: on hand and reserved down.",
		"RETURN_RESTOCK": "Returned goods back on the shelf: on hand up.",
		"WRITE_OFF":      "Damaged or lost goods written off: on hand down.",
	},
	"AuditEventActorKind": {
		"USER":       "A signed-in member of staff (anonymous when nobody was signed in).",
		"INTEGRATOR": "An INTEGRATOR account, signed in or with an API key.",
		"SYSTEM":     "A background rule (payment timeout, dunning, ...), or the customer answering on the confirmation page.",
	},
	"WebhookDeliveryStatus": {
		"PENDING":   "To be attempted, or attempted again after a failure; it also waits while an earlier delivery of the same order or record to the endpoint is pending.",
		"SUCCEEDED": "The endpoint accepted it (a 2xx answer).",
		"FAILED":    "Given up after its last retry.",
	},
	"OrderCorrectionStatus": {
		"AWAITING_CUSTOMER": "Sent to the customer's confirmation page; waits for their answer.",
		"PENDING_APPROVAL":  "A severe correction waiting for a manager's approval.",
		"APPLIED":           "Applied to the order: lines, reservations and money follow it.",
		"REJECTED":          "Turned down, withdrawn or declined by the customer: the order is unchanged.",
	},
	"ComplaintStatus": {
		"OPEN":        "Filed; nobody works on it yet.",
		"IN_PROGRESS": "Someone works on it.",
		"RESOLVED":    "Resolved, with how; may be reopened.",
		"CLOSED":      "Finished.",
	},
	"UserRole": {
		"ADMIN":         "Everything, users and settings included.",
		"SALES_MANAGER": "All customers and orders; approves or rejects cancellations, returns and severe corrections; voids.",
		"SALES_REP":     "The customers they own and their orders: enters, submits, requests cancellations, corrects, files complaints.",
		"FINANCE":       "Reads orders; records and cancels payments, refunds, approves cancellations that move money.",
		"WAREHOUSE":     "Reads orders' lines (no credit data); stock, shipments, returns received.",
		"SUPPORT":       "Reads orders and customers; complaints; requests cancellations and returns.",
		"AUDITOR":       "Reads everything, the timeline included; changes nothing.",
		"INTEGRATOR":    "A machine account: reads, and does what the scopes it was granted allow.",
	},
}

// describeEnumValues gives ent's enum values their meaning (enumValues).
func describeEnumValues(_ *gen.Graph, s *ast.Schema) error {
	for name, values := range enumValues {
		def := s.Types[name]
		if def == nil {
			return fmt.Errorf("enumValues describes %s, which the schema does not have", name)
		}
		for _, v := range def.EnumValues {
			describe(&v.Description, values[v.Name])
		}
	}
	return nil
}
