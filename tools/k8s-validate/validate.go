package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
	sigsjson "sigs.k8s.io/json"

	k8serrors "k8s.io/apimachinery/pkg/api/errors"
)

type validator struct {
	podSecurity *psaapi.LevelVersion // nil: no Pod Security check
	evaluator   psapolicy.Evaluator
}

type result struct {
	identity string // "<group>/<Kind> <namespace>/<name>", for duplicate detection
	problems []problem
	warnings []problem
}

func newValidator(level string) (*validator, error) {
	lvl, err := psaapi.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--pod-security: %w", err)
	}
	v := &validator{}
	if lvl != psaapi.LevelPrivileged {
		v.podSecurity = &psaapi.LevelVersion{Level: lvl, Version: psaapi.LatestVersion()}
		if v.evaluator, err = psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil); err != nil {
			return nil, err
		}
	}
	return v, nil
}

type typeHeader struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
		Namespace    string `json:"namespace"`
	} `json:"metadata"`
}

func (v *validator) validate(d document) result {
	var head typeHeader
	if err := json.Unmarshal(d.raw, &head); err != nil {
		return result{problems: []problem{{d.source, "not a Kubernetes object: " + err.Error()}}}
	}
	name := head.Metadata.Name
	if name == "" {
		name = head.Metadata.GenerateName + "*"
	}
	where := fmt.Sprintf("%s %s/%s", d.source, head.Kind, name)
	if head.APIVersion == "" || head.Kind == "" {
		return result{problems: []problem{{where, "apiVersion and kind are required"}}}
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		return result{problems: []problem{{where, "apiVersion: " + err.Error()}}}
	}
	gvk := gv.WithKind(head.Kind)
	namespace := head.Metadata.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	res := result{identity: fmt.Sprintf("%s/%s %s/%s", gvk.Group, gvk.Kind, namespace, head.Metadata.Name)}
	if head.Metadata.Name == "" {
		res.identity = ""
	}

	if check, ok := custom[gvk]; ok {
		for _, p := range check(d.raw) {
			res.problems = append(res.problems, problem{where, p.msg})
		}
		return res
	}
	kind, ok := builtins[gvk]
	if !ok {
		return result{problems: []problem{{where, fmt.Sprintf("apiVersion %q kind %q is not known to k8s-validate (supported: %s); add it to tools/k8s-validate/kinds.go", head.APIVersion, head.Kind, supportedKinds())}}}
	}
	if !legacyscheme.Scheme.Recognizes(gvk) {
		return result{problems: []problem{{where, fmt.Sprintf("apiVersion %q kind %q is not served by Kubernetes %s", head.APIVersion, head.Kind, kubernetesVersion())}}}
	}

	// 1. Strict, case-sensitive decoding into the versioned type, as the API server does with
	//    fieldValidation=Strict (kubectl's default).
	versioned, err := legacyscheme.Scheme.New(gvk)
	if err != nil {
		return result{problems: []problem{{where, err.Error()}}}
	}
	strictErrs, err := sigsjson.UnmarshalStrict(d.raw, versioned, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return result{problems: []problem{{where, "does not decode as " + gvk.String() + ": " + err.Error()}}}
	}
	for _, e := range strictErrs {
		res.problems = append(res.problems, problem{where, e.Error()})
	}

	// 2. Defaulting, then conversion to the internal type the API server validates.
	legacyscheme.Scheme.Default(versioned)
	internal, err := legacyscheme.Scheme.New(gvk.GroupKind().WithVersion(runtime.APIVersionInternal))
	if err != nil {
		return result{problems: []problem{{where, err.Error()}}}
	}
	if err := legacyscheme.Scheme.Convert(versioned, internal, nil); err != nil {
		res.problems = append(res.problems, problem{where, "conversion to the internal type failed: " + err.Error()})
		return res
	}

	// 3. The API server's create path for this resource.
	meta, err := apimeta.Accessor(internal)
	if err != nil {
		res.problems = append(res.problems, problem{where, err.Error()})
		return res
	}
	rest.FillObjectMetaSystemFields(meta)
	if meta.GetName() == "" && meta.GetGenerateName() != "" {
		meta.SetName(meta.GetGenerateName() + "x1y2z")
	}
	requestNamespace := ""
	if kind.strategy.NamespaceScoped() {
		requestNamespace = namespace
		if meta.GetNamespace() == "" {
			meta.SetNamespace(namespace)
		}
	}
	recorder := &warningRecorder{}
	ctx := genericapirequest.WithNamespace(context.Background(), requestNamespace)
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true,
		Verb:              "create",
		APIPrefix:         apiPrefix(gvk.Group),
		APIGroup:          gvk.Group,
		APIVersion:        gvk.Version,
		Namespace:         requestNamespace,
		Resource:          kind.resource,
		Name:              meta.GetName(),
	})
	ctx = warning.WithWarningRecorder(ctx, recorder)
	if err := rest.BeforeCreate(kind.strategy, ctx, internal); err != nil {
		res.problems = append(res.problems, statusProblems(where, err)...)
	}
	for _, w := range recorder.texts {
		res.warnings = append(res.warnings, problem{where, w})
	}

	// 4. Pod Security Standards on the defaulted versioned pod template.
	if v.podSecurity != nil && kind.podTemplate != nil {
		podMeta, podSpec := kind.podTemplate(versioned)
		if podSpec != nil {
			if podMeta == nil {
				podMeta = &metav1.ObjectMeta{}
			}
			for _, r := range v.evaluator.EvaluatePod(*v.podSecurity, podMeta, podSpec) {
				if !r.Allowed {
					res.problems = append(res.problems, problem{where, fmt.Sprintf("violates Pod Security Standard %q (%s): %s (%s)", v.podSecurity.Level, kubernetesVersion(), r.ForbiddenReason, r.ForbiddenDetail)})
				}
			}
		}
	}
	return res
}

func apiPrefix(group string) string {
	if group == "" {
		return "api"
	}
	return "apis"
}

// statusProblems turns the API server's Invalid status into one problem per field cause.
func statusProblems(where string, err error) []problem {
	var status k8serrors.APIStatus
	if errors.As(err, &status) && status.Status().Details != nil && len(status.Status().Details.Causes) > 0 {
		var out []problem
		for _, c := range status.Status().Details.Causes {
			msg := c.Message
			if c.Field != "" {
				msg = c.Field + ": " + msg
			}
			out = append(out, problem{where, msg})
		}
		return out
	}
	return []problem{{where, err.Error()}}
}

type warningRecorder struct{ texts []string }

func (r *warningRecorder) AddWarning(_, text string) { r.texts = append(r.texts, text) }

type podTemplateFunc func(runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec)

func deploymentPodTemplate(o runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	d := o.(*appsv1.Deployment)
	return &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec
}

func jobPodTemplate(o runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	j := o.(*batchv1.Job)
	return &j.Spec.Template.ObjectMeta, &j.Spec.Template.Spec
}

func cronJobPodTemplate(o runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	c := o.(*batchv1.CronJob)
	return &c.Spec.JobTemplate.Spec.Template.ObjectMeta, &c.Spec.JobTemplate.Spec.Template.Spec
}

func podPodTemplate(o runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	p := o.(*corev1.Pod)
	return &p.ObjectMeta, &p.Spec
}

func supportedKinds() string {
	var names []string
	for gvk := range builtins {
		names = append(names, strings.TrimPrefix(gvk.GroupVersion().String()+" "+gvk.Kind, "/"))
	}
	for gvk := range custom {
		names = append(names, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
