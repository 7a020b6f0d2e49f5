// Command gopher-lua-health runs an Argo CD health script in gopher-lua, the Lua VM Argo CD embeds, set up the
// way Argo CD sets it up for a health check from argocd-cm (argo-cd v2.14 / v3.x, util/lua/lua.go: VM.runLua,
// decodeValue and ExecuteHealthLua; util/lua/oslib_safe.go). It is a stand-in written for our tests, not their code.
// go.mod pins gopher-lua v1.1.1 and layeh.com/gopher-json at the versions argo-cd's go.mod pins from v2.14 to v3.4
// (v3.5 moved to gopher-lua v1.1.2).
//
// Usage: gopher-lua-health health.lua < object.json
//
// stdin holds the resource as JSON. The script's status and message are written to stdout, one a line, as
// charts/test/run-health.lua does for lua5.1; a Lua error or a return value Argo CD refuses exits 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
	luajson "layeh.com/gopher-json"
)

// The statuses Argo CD accepts from a script (gitops-engine pkg/health); any other reads as Unknown.
var validStatus = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true,
}

type healthStatus struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gopher-lua-health <health.lua> < object.json")
		os.Exit(2)
	}
	hs, err := run(os.Args[1], os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s\n%s\n", hs.Status, hs.Message)
}

func run(scriptPath string, input io.Reader) (*healthStatus, error) {
	script, err := os.ReadFile(scriptPath)
	if err != nil {
		return nil, err
	}
	var obj map[string]interface{}
	if err := json.NewDecoder(input).Decode(&obj); err != nil {
		return nil, fmt.Errorf("reading the object from stdin: %w", err)
	}

	// A script from argocd-cm runs without the standard libraries (resource.customizations.useOpenLibs.<group_kind>
	// is false by default): Argo CD opens package, base and table, and an os holding only time and date. No string,
	// math, io or debug, and no string methods ("x"):upper(), which the string library would install.
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	libs := []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	}
	for _, lib := range libs {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, fmt.Errorf("opening %s: %w", lib.name, err)
		}
	}
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(l.SetFuncs(l.NewTable(), safeOs))
		return 1
	})
	// Argo CD gives a script one second.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)

	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(string(script)); err != nil {
		return nil, err
	}

	// The chunk's return value, read back as Argo CD does: through gopher-json into a HealthStatus.
	ret := l.Get(-1)
	switch ret.Type() {
	case lua.LTNil:
		return &healthStatus{}, nil
	case lua.LTTable:
	default:
		return nil, fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
	}
	encoded, err := luajson.Encode(ret)
	if err != nil {
		return nil, err
	}
	hs := &healthStatus{}
	if err := json.Unmarshal(encoded, hs); err != nil {
		// gopher-json encodes an empty table as [], which Argo CD reads as an empty status.
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Value == "array" {
			return &healthStatus{}, nil
		}
		return nil, err
	}
	if !validStatus[hs.Status] {
		return &healthStatus{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
	}
	return hs, nil
}

// toLua converts a decoded JSON value as Argo CD's decodeValue converts an unstructured object: objects and
// arrays become tables (arrays 1-based), numbers LNumber, null nil.
func toLua(l *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []interface{}:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]interface{}:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

// Argo CD's safe os holds only time and date, copied from gopher-lua's os library (util/lua/oslib_safe.go): here
// taken from that library itself rather than copied again.
var safeOs = func() map[string]lua.LGFunction {
	full := lua.NewState()
	defer full.Close()
	lib := full.GetGlobal(lua.OsLibName).(*lua.LTable)
	funcs := map[string]lua.LGFunction{}
	for _, name := range []string{"time", "date"} {
		funcs[name] = lib.RawGetString(name).(*lua.LFunction).GFunction
	}
	return funcs
}()

func openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.OsLibName, safeOs))
	return 1
}
