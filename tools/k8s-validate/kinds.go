package main

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"

	"k8s.io/kubernetes/pkg/registry/apps/deployment"
	"k8s.io/kubernetes/pkg/registry/autoscaling/horizontalpodautoscaler"
	"k8s.io/kubernetes/pkg/registry/batch/cronjob"
	"k8s.io/kubernetes/pkg/registry/batch/job"
	"k8s.io/kubernetes/pkg/registry/core/configmap"
	"k8s.io/kubernetes/pkg/registry/core/pod"
	"k8s.io/kubernetes/pkg/registry/core/secret"
	"k8s.io/kubernetes/pkg/registry/core/service"
	"k8s.io/kubernetes/pkg/registry/core/serviceaccount"
	"k8s.io/kubernetes/pkg/registry/networking/ingress"
	"k8s.io/kubernetes/pkg/registry/networking/networkpolicy"
	"k8s.io/kubernetes/pkg/registry/policy/poddisruptionbudget"
	"k8s.io/kubernetes/pkg/registry/rbac/role"
	"k8s.io/kubernetes/pkg/registry/rbac/rolebinding"

	// The internal API types, their defaults and conversions, registered in legacyscheme.Scheme.
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/autoscaling/install"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/networking/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	_ "k8s.io/kubernetes/pkg/apis/rbac/install"
)

// builtin is a kind served by the API server, validated by its registry strategy.
type builtin struct {
	resource string
	strategy rest.RESTCreateStrategy
	// podTemplate finds the pod template (metadata, spec) in the versioned object for the Pod
	// Security check; nil for kinds without pods.
	podTemplate podTemplateFunc
}

// builtins lists, by apiVersion and kind, exactly the versions the API server serves for the kinds
// Custody's chart may render. Anything else is rejected as unknown instead of passing unchecked.
var builtins = map[schema.GroupVersionKind]builtin{
	{Group: "apps", Version: "v1", Kind: "Deployment"}:                         {"deployments", deployment.Strategy, deploymentPodTemplate},
	{Group: "", Version: "v1", Kind: "Service"}:                                {"services", service.Strategy, nil},
	{Group: "", Version: "v1", Kind: "ServiceAccount"}:                         {"serviceaccounts", serviceaccount.Strategy, nil},
	{Group: "", Version: "v1", Kind: "ConfigMap"}:                              {"configmaps", configmap.Strategy, nil},
	{Group: "", Version: "v1", Kind: "Secret"}:                                 {"secrets", secret.Strategy, nil},
	{Group: "", Version: "v1", Kind: "Pod"}:                                    {"pods", pod.Strategy, podPodTemplate},
	{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}:      {"horizontalpodautoscalers", horizontalpodautoscaler.Strategy, nil},
	{Group: "policy", Version: "v1", Kind: "PodDisruptionBudget"}:              {"poddisruptionbudgets", poddisruptionbudget.Strategy, nil},
	{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}:         {"networkpolicies", networkpolicy.Strategy, nil},
	{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}:               {"ingresses", ingress.Strategy, nil},
	{Group: "batch", Version: "v1", Kind: "Job"}:                               {"jobs", job.Strategy, jobPodTemplate},
	{Group: "batch", Version: "v1", Kind: "CronJob"}:                           {"cronjobs", cronjob.Strategy, cronJobPodTemplate},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role"}:          {"roles", role.Strategy, nil},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"}:   {"rolebindings", rolebinding.Strategy, nil},
}

// custom lists custom resources (no types in k8s.io/api) with a hand-written strict check.
var custom = map[schema.GroupVersionKind]func(raw []byte) []problem{
	{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}: validateServiceMonitor,
}
