package graph

import (
	"time"

	"entgo.io/contrib/entgql"

	"orderdesk/fault"
	"orderdesk/graph/model"
	"orderdesk/inbox"
)

// exceptionConnection pages the inbox. Cursors are offsets into the list,
// which is ordered oldest first; a page past items that meanwhile left the
// inbox may skip some, as offset paging does.
func exceptionConnection(items []inbox.Item, first *int, after *string) (*model.ExceptionItemConnection, error) {
	start, n := 0, 20
	if first != nil {
		n = *first
	}
	if after != nil {
		var c entgql.Cursor[int]
		if err := c.UnmarshalGQL(*after); err != nil {
			return nil, fault.New(fault.Invalid, "after", "is not a cursor of this list")
		}
		start = c.ID
	}
	start = min(max(start, 0), len(items))
	end := min(start+n, len(items))
	now := time.Now()
	conn := &model.ExceptionItemConnection{TotalCount: len(items), PageInfo: &entgql.PageInfo[int]{
		HasNextPage: end < len(items), HasPreviousPage: start > 0}}
	for i, it := range items[start:end] {
		cursor := entgql.Cursor[int]{ID: start + i + 1}
		conn.Edges = append(conn.Edges, &model.ExceptionItemEdge{Cursor: cursorString(cursor), Node: &model.ExceptionItem{
			ID: it.SubjectID, Kind: model.ExceptionKind(it.Kind), Category: model.ExceptionCategory(it.Category),
			Severity: model.ExceptionSeverity(it.Severity), Title: it.Title, Since: it.Since,
			AgeSeconds: int(now.Sub(it.Since).Seconds()), DueAt: it.DueAt, Order: it.Order, Assignee: it.Assignee,
			Subject: it.Subject}})
		if i == 0 {
			first := cursor
			conn.PageInfo.StartCursor = &first
		}
		conn.PageInfo.EndCursor = &cursor
	}
	if conn.Edges == nil {
		conn.Edges = []*model.ExceptionItemEdge{}
	}
	return conn, nil
}

func cursorString(c entgql.Cursor[int]) string {
	var b stringWriter
	c.MarshalGQL(&b)
	s := string(b)
	return s[1 : len(s)-1] // MarshalGQL writes a quoted GraphQL string
}

type stringWriter []byte

func (w *stringWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }
