package store

import (
	"fmt"
	"io/fs"
	"sync"

	atlas "ariga.io/atlas/sql/migrate"
	atlasmysql "ariga.io/atlas/sql/mysql"
	atlassqlite "ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"

	"orderdesk/migrations"
)

// migrationDir is the engine's embedded migration directory, read once.
func migrationDir(d string) (atlas.Dir, error) {
	engine := "sqlite"
	if d == dialect.MySQL {
		engine = "mysql"
	}
	return loadDir[engine]()
}

var loadDir = map[string]func() (atlas.Dir, error){
	"mysql":  sync.OnceValues(func() (atlas.Dir, error) { return readDir("mysql") }),
	"sqlite": sync.OnceValues(func() (atlas.Dir, error) { return readDir("sqlite") }),
}

// parsedDir is a migration directory whose files are split into statements
// once per process instead of at every run: splitting the SQLite baseline
// costs more than running it.
type parsedDir struct {
	*atlas.MemDir
	files []atlas.File
}

func (d *parsedDir) Files() ([]atlas.File, error) { return d.files, nil }

// parsedFile is a file with its statements split already. Atlas splits a
// file with the driver's own scanner only for *atlas.LocalFile; for any
// other file it asks the file, and gets these.
type parsedFile struct {
	*atlas.LocalFile
	stmts []*atlas.Stmt
}

func (f *parsedFile) StmtDecls() ([]*atlas.Stmt, error) { return f.stmts, nil }

func (f *parsedFile) Stmts() ([]string, error) {
	texts := make([]string, len(f.stmts))
	for i, s := range f.stmts {
		texts[i] = s.Text
	}
	return texts, nil
}

// parse splits each file as the engine's atlas driver would.
func parse(engine string, mem *atlas.MemDir) (*parsedDir, error) {
	scan := (*atlassqlite.Driver)(nil).ScanStmts
	if engine == "mysql" {
		scan = (*atlasmysql.Driver)(nil).ScanStmts
	}
	files, err := mem.Files()
	if err != nil {
		return nil, err
	}
	dir := &parsedDir{MemDir: mem}
	for _, f := range files {
		stmts, err := scan(string(f.Bytes()))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		dir.files = append(dir.files, &parsedFile{LocalFile: f.(*atlas.LocalFile), stmts: stmts})
	}
	return dir, nil
}

// readDir copies an embedded directory into one atlas can read; its
// atlas.sum comes along, so the executor still refuses edited files.
func readDir(engine string) (atlas.Dir, error) {
	src, err := migrations.FS(engine)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		return nil, err
	}
	dir := &atlas.MemDir{}
	for _, e := range entries {
		b, err := fs.ReadFile(src, e.Name())
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return parse(engine, dir)
}
