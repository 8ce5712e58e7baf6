package generated

// Not generated: cmd/gqlgen points the list marshallers of sequential
// objects here instead of at graphql.MarshalSliceConcurrently, their field
// sets at fieldValues instead of graphql.FieldSet, every object's field
// collection at collectFields, and a query's result at responseBuffer.

import (
	"bytes"
	"context"
	"io"
	"sync"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// collectedFields remembers, for one operation, the fields each selection
// set selects on each type, as graphql.CollectFields does; what differs is
// the key. graphql.CollectFields hashes the type's implementors on every
// call, five allocations per object of a response; here the key is where
// the selection set and the generated implementors list are, which stay
// put for the operation, and a lookup allocates nothing.
type collectedFields struct {
	mu     sync.Mutex // objects marked @concurrent marshal in parallel
	fields map[collectedKey][]graphql.CollectedField
}

type collectedKey struct {
	sel          *ast.Selection
	n            int
	implementors *string
}

// collectFields is graphql.CollectFields(ec.OperationContext, sel,
// implementors), collected once per operation.
func (ec *executionContext) collectFields(sel ast.SelectionSet, implementors []string) []graphql.CollectedField {
	key := collectedKey{unsafe.SliceData(sel), len(sel), unsafe.SliceData(implementors)}
	c := &ec.collected
	c.mu.Lock()
	fields, ok := c.fields[key]
	c.mu.Unlock()
	if ok {
		return fields
	}
	fields = graphql.CollectFields(ec.OperationContext, sel, implementors)
	c.mu.Lock()
	if c.fields == nil {
		c.fields = map[collectedKey][]graphql.CollectedField{}
	}
	c.fields[key] = fields
	c.mu.Unlock()
	return fields
}

// marshalSliceInOrder is graphql.MarshalSliceConcurrently (same arguments,
// same field contexts, same recovery from a panicking element) marshalling
// the elements one after another in the caller's goroutine. The worker
// limit has nothing to bound here.
func marshalSliceInOrder(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	ret := make(graphql.Array, length)
	// The elements' field contexts and indexes, allocated together.
	contexts, indexes := make([]graphql.FieldContext, length), make([]int, length)
	for i := range length {
		indexes[i] = i
		contexts[i].Index = &indexes[i]
		childCtx := graphql.WithFieldContext(ctx, &contexts[i])
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}

// fieldValues is what a sequential object fills in place of a
// graphql.FieldSet: the same Values and Invalids, a Dispatch with nothing
// to dispatch (its fields are resolved in order), and the same JSON. It
// writes it without graphql.FieldSet's iterator, whose closure, per-field
// copy and map of written names are allocations on every object of a
// response.
type fieldValues struct {
	fields   []graphql.CollectedField
	Values   []graphql.Marshaler
	Invalids uint32
}

// newFieldValues makes the container and its values in one allocation for
// objects of up to 16 selected fields (nearly all): a page of orders makes
// one per object it returns.
func newFieldValues(fields []graphql.CollectedField) *fieldValues {
	n := len(fields)
	var f *fieldValues
	switch {
	case n <= 4:
		v := new(struct {
			fieldValues
			values [4]graphql.Marshaler
		})
		v.Values = v.values[:n:n]
		f = &v.fieldValues
	case n <= 8:
		v := new(struct {
			fieldValues
			values [8]graphql.Marshaler
		})
		v.Values = v.values[:n:n]
		f = &v.fieldValues
	case n <= 16:
		v := new(struct {
			fieldValues
			values [16]graphql.Marshaler
		})
		v.Values = v.values[:n:n]
		f = &v.fieldValues
	default:
		f = &fieldValues{Values: make([]graphql.Marshaler, n)}
	}
	f.fields = fields
	return f
}

// Dispatch runs the fields left to run concurrently: none.
func (*fieldValues) Dispatch(context.Context) {}

// MarshalGQL writes the object as graphql.FieldSet does: each response
// name once, first value first. Response names are GraphQL names, which
// need no escaping.
func (f *fieldValues) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, "{")
	written := 0
	for i := range f.fields {
		alias := f.fields[i].Alias
		if repeated(f.fields[:i], alias) {
			continue
		}
		if written > 0 {
			_, _ = io.WriteString(w, ",")
		}
		_, _ = io.WriteString(w, `"`)
		_, _ = io.WriteString(w, alias)
		_, _ = io.WriteString(w, `":`)
		f.Values[i].MarshalGQL(w)
		written++
	}
	_, _ = io.WriteString(w, "}")
}

func repeated(before []graphql.CollectedField, alias string) bool {
	for i := range before {
		if before[i].Alias == alias {
			return true
		}
	}
	return false
}

// responseBuffers holds the data of written query responses for the next
// query to write into (RecycleResponse).
var responseBuffers sync.Pool // of *[]byte

// maxRecycled bounds what is kept: one unusually large answer must not stay
// in memory for every later one.
const maxRecycled = 1 << 20

// responseBuffer is the buffer Exec writes a query's result into: empty,
// with the room of an earlier response when one was handed back.
func responseBuffer() *bytes.Buffer {
	if p, ok := responseBuffers.Get().(*[]byte); ok {
		return bytes.NewBuffer((*p)[:0])
	}
	return new(bytes.Buffer)
}

// RecycleResponse hands back the Data of a query's response once it has
// been written and nothing refers to it any more; the next query writes
// over it.
func RecycleResponse(data []byte) {
	if cap(data) == 0 || cap(data) > maxRecycled {
		return
	}
	data = data[:0]
	responseBuffers.Put(&data)
}
