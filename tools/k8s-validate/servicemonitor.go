package main

import (
	"fmt"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	sigsjson "sigs.k8s.io/json"
)

// A strict subset of the prometheus-operator CRD monitoring.coreos.com/v1 ServiceMonitor: the
// fields a chart reasonably renders, with the CRD's own names and types. A field outside the
// subset is rejected, so a typo cannot pass unnoticed; extend the structs when the chart needs more.
// (Importing prometheus-operator's Go types would tie the k8s.io/* versions of every build to its own.)
type serviceMonitor struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       *struct {
		JobLabel          string               `json:"jobLabel,omitempty"`
		TargetLabels      []string             `json:"targetLabels,omitempty"`
		PodTargetLabels   []string             `json:"podTargetLabels,omitempty"`
		Endpoints         []monitorEndpoint    `json:"endpoints,omitempty"`
		Selector          *metav1.LabelSelector `json:"selector"`
		NamespaceSelector *struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector,omitempty"`
		SampleLimit *uint64 `json:"sampleLimit,omitempty"`
		TargetLimit *uint64 `json:"targetLimit,omitempty"`
		ScrapeClass *string `json:"scrapeClass,omitempty"`
	} `json:"spec"`
}

type monitorEndpoint struct {
	Port              string              `json:"port,omitempty"`
	TargetPort        *intstr.IntOrString `json:"targetPort,omitempty"`
	Path              string              `json:"path,omitempty"`
	Scheme            string              `json:"scheme,omitempty"`
	Params            map[string][]string `json:"params,omitempty"`
	Interval          string              `json:"interval,omitempty"`
	ScrapeTimeout     string              `json:"scrapeTimeout,omitempty"`
	HonorLabels       bool                `json:"honorLabels,omitempty"`
	HonorTimestamps   *bool               `json:"honorTimestamps,omitempty"`
	FollowRedirects   *bool               `json:"followRedirects,omitempty"`
	EnableHTTP2       *bool               `json:"enableHttp2,omitempty"`
	FilterRunning     *bool               `json:"filterRunning,omitempty"`
	MetricRelabelings []relabelConfig     `json:"metricRelabelings,omitempty"`
	Relabelings       []relabelConfig     `json:"relabelings,omitempty"`
}

type relabelConfig struct {
	SourceLabels []string `json:"sourceLabels,omitempty"`
	Separator    *string  `json:"separator,omitempty"`
	TargetLabel  string   `json:"targetLabel,omitempty"`
	Regex        string   `json:"regex,omitempty"`
	Modulus      uint64   `json:"modulus,omitempty"`
	Replacement  *string  `json:"replacement,omitempty"`
	Action       string   `json:"action,omitempty"`
}

// The CRD's pattern for monitoringv1.Duration.
var promDuration = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)

var relabelActions = map[string]bool{
	"replace": true, "Replace": true, "keep": true, "Keep": true, "drop": true, "Drop": true,
	"hashmod": true, "HashMod": true, "labelmap": true, "LabelMap": true, "labeldrop": true, "LabelDrop": true,
	"labelkeep": true, "LabelKeep": true, "lowercase": true, "Lowercase": true, "uppercase": true, "Uppercase": true,
	"keepequal": true, "KeepEqual": true, "dropequal": true, "DropEqual": true,
}

func validateServiceMonitor(raw []byte) []problem {
	var sm serviceMonitor
	var out []problem
	add := func(format string, args ...any) { out = append(out, problem{msg: fmt.Sprintf(format, args...)}) }
	strictErrs, err := sigsjson.UnmarshalStrict(raw, &sm, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		add("does not decode as a ServiceMonitor: %v", err)
		return out
	}
	for _, e := range strictErrs {
		add("%v", e)
	}
	for _, msg := range validation.IsDNS1123Subdomain(sm.Metadata.Name) {
		add("metadata.name: %s", msg)
	}
	for k, val := range sm.Metadata.Labels {
		for _, msg := range validation.IsQualifiedName(k) {
			add("metadata.labels: %q: %s", k, msg)
		}
		for _, msg := range validation.IsValidLabelValue(val) {
			add("metadata.labels[%s]: %s", k, msg)
		}
	}
	if sm.Spec == nil {
		add("spec: Required value")
		return out
	}
	if sm.Spec.Selector == nil {
		add("spec.selector: Required value")
	} else if _, err := metav1.LabelSelectorAsSelector(sm.Spec.Selector); err != nil {
		add("spec.selector: %v", err)
	}
	if len(sm.Spec.Endpoints) == 0 {
		add("spec.endpoints: Required value: a ServiceMonitor without endpoints scrapes nothing")
	}
	for i, ep := range sm.Spec.Endpoints {
		p := fmt.Sprintf("spec.endpoints[%d]", i)
		if ep.Port == "" && ep.TargetPort == nil {
			add("%s: one of port or targetPort is required", p)
		}
		if ep.Scheme != "" && ep.Scheme != "http" && ep.Scheme != "https" && ep.Scheme != "HTTP" && ep.Scheme != "HTTPS" {
			add("%s.scheme: Unsupported value %q: supported values: \"http\", \"https\"", p, ep.Scheme)
		}
		for field, d := range map[string]string{"interval": ep.Interval, "scrapeTimeout": ep.ScrapeTimeout} {
			if d != "" && !promDuration.MatchString(d) {
				add("%s.%s: Invalid value %q: must be a Prometheus duration such as 30s or 1m", p, field, d)
			}
		}
		for j, r := range append(append([]relabelConfig{}, ep.Relabelings...), ep.MetricRelabelings...) {
			if r.Action != "" && !relabelActions[r.Action] {
				add("%s relabeling %d: unsupported action %q", p, j, r.Action)
			}
			if r.Regex != "" {
				if _, err := regexp.Compile(r.Regex); err != nil {
					add("%s relabeling %d: regex: %v", p, j, err)
				}
			}
		}
	}
	return out
}
