// Command k8s-validate checks rendered Kubernetes manifests offline, the way the API server of one
// Kubernetes version would check them on create, without a cluster and without network access.
//
// For every object read from the input (multi-document YAML, e.g. `helm template` output) it:
//
//  1. rejects YAML that is not JSON-compatible or has duplicate keys;
//  2. decodes the object strictly (unknown or duplicate fields, wrong types, wrong case) into the
//     typed Go struct of its apiVersion/kind from k8s.io/api at the version this binary was built with,
//     so an apiVersion the version does not serve, or a field it does not know, is an error;
//  3. applies the API server's defaulting, converts to the internal type and runs the API server's
//     own create path (rest.BeforeCreate with the resource's registry strategy: PrepareForCreate,
//     Validate, declarative validation, object-meta validation, warnings) from k8s.io/kubernetes;
//  4. evaluates every pod template against the Pod Security Standards (default level: restricted)
//     with k8s.io/pod-security-admission, as a namespace labelled pod-security.kubernetes.io/enforce would;
//  5. checks monitoring.coreos.com/v1 ServiceMonitor with a strict hand-written subset (no CRD types
//     in k8s.io/api).
//
// A kind it does not know is an error: add it to kinds.go rather than letting it pass unchecked.
//
// Usage:
//
//	helm template ... | k8s-validate [--json] [--pod-security=restricted|baseline|privileged] [--allow-warnings] [file ...]
//
// With --json the decoded objects are printed to stdout as one JSON array, in input order and as
// written (not defaulted), so a test can assert on them without a YAML parser. Problems go to stderr,
// one per line as `<source> <Kind>/<name>: <field>: <message>`; the exit code is 1 when any object is
// invalid and 2 on a usage or input error.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// document is one YAML document of the input, with where it came from.
type document struct {
	source string // "<file>#<index>" or helm's "# Source: <template>" comment
	raw    []byte // JSON
}

type problem struct {
	where string
	msg   string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("k8s-validate", flag.ContinueOnError)
	flags.SetOutput(stderr)
	asJSON := flags.Bool("json", false, "print the objects read as a JSON array on stdout")
	podSecurity := flags.String("pod-security", "restricted", "Pod Security Standard level that every pod template must meet: restricted, baseline or privileged (= no check)")
	allowWarnings := flags.Bool("allow-warnings", false, "report API server warnings without failing")
	quiet := flags.Bool("quiet", false, "do not print the summary line")
	showVersion := flags.Bool("version", false, "print the Kubernetes version this binary validates against")
	flags.Usage = func() {
		fmt.Fprintf(stderr, "usage: k8s-validate [flags] [file ...]   (no file or '-' reads stdin)\n\nValidates Kubernetes manifests offline against the API of Kubernetes %s.\n\n", kubernetesVersion())
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, kubernetesVersion())
		return 0
	}
	v, err := newValidator(*podSecurity)
	if err != nil {
		fmt.Fprintf(stderr, "k8s-validate: %v\n", err)
		return 2
	}

	inputs := flags.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	var docs []document
	for _, name := range inputs {
		var r io.Reader = stdin
		label := "<stdin>"
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintf(stderr, "k8s-validate: %v\n", err)
				return 2
			}
			defer f.Close()
			r, label = f, name
		}
		read, problems := readDocuments(r, label)
		if len(problems) > 0 {
			for _, p := range problems {
				fmt.Fprintf(stderr, "%s: %s\n", p.where, p.msg)
			}
			return 1
		}
		docs = append(docs, read...)
	}

	var problems, warnings []problem
	objects := make([]json.RawMessage, 0, len(docs))
	seen := map[string]string{}
	for _, d := range docs {
		objects = append(objects, d.raw)
		res := v.validate(d)
		problems = append(problems, res.problems...)
		warnings = append(warnings, res.warnings...)
		if res.identity != "" {
			if prev, dup := seen[res.identity]; dup {
				problems = append(problems, problem{d.source + " " + res.identity, "defined twice (also in " + prev + "); the second create would fail with AlreadyExists"})
			}
			seen[res.identity] = d.source
		}
	}

	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s: %s\n", w.where, w.msg)
	}
	for _, p := range problems {
		fmt.Fprintf(stderr, "%s: %s\n", p.where, p.msg)
	}
	failed := len(problems) > 0 || (!*allowWarnings && len(warnings) > 0)
	if !*quiet {
		status := "valid"
		if failed {
			status = fmt.Sprintf("INVALID (%d problems, %d warnings)", len(problems), len(warnings))
		}
		fmt.Fprintf(stderr, "k8s-validate: %d objects checked against Kubernetes %s (pod security: %s): %s\n", len(docs), kubernetesVersion(), *podSecurity, status)
	}
	if *asJSON {
		out, err := json.MarshalIndent(objects, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "k8s-validate: %v\n", err)
			return 2
		}
		fmt.Fprintln(stdout, string(out))
	}
	if failed {
		return 1
	}
	return 0
}

var sourceComment = regexp.MustCompile(`(?m)^# Source: (.+)$`)

// readDocuments splits multi-document YAML and converts each non-empty document to JSON, rejecting
// duplicate keys (which YAML parsers otherwise resolve silently, last one wins).
func readDocuments(r io.Reader, label string) ([]document, []problem) {
	reader := utilyaml.NewYAMLReader(bufio.NewReaderSize(r, 1<<20))
	var docs []document
	var problems []problem
	for i := 0; ; i++ {
		chunk, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, []problem{{label, err.Error()}}
		}
		source := fmt.Sprintf("%s#%d", label, i)
		if m := sourceComment.FindSubmatch(chunk); m != nil {
			source = string(m[1])
		}
		if isBlank(chunk) {
			continue
		}
		raw, err := sigsyaml.YAMLToJSONStrict(chunk)
		if err != nil {
			problems = append(problems, problem{source, "not valid YAML for Kubernetes: " + err.Error()})
			continue
		}
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue
		}
		docs = append(docs, document{source: source, raw: raw})
	}
	return docs, problems
}

func isBlank(chunk []byte) bool {
	for _, line := range strings.Split(string(chunk), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && t != "---" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

// kubernetesVersion is the k8s.io/kubernetes module version compiled into this binary.
func kubernetesVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == "k8s.io/kubernetes" {
				return dep.Version
			}
		}
	}
	return "(unknown)"
}
