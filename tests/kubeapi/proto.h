#pragma once
// Decoding of Kubernetes protobuf request bodies ("k8s\0" + runtime.Unknown) for the core v1
// kinds the test server serves (Namespace, ConfigMap, Secret): kubectl's typed commands
// (`kubectl create namespace|secret|configmap`) send protobuf. Only the fields a client may
// set are decoded (ObjectMeta identity, labels, annotations, ownerReferences, finalizers;
// the kinds' data fields). Responses stay JSON, which client-go accepts.
// Throws ApiError 400 on a malformed body, 415 for other kinds. Any thread.

#include <string>

#include "tests/kubeapi/util.h"

namespace od::testkube {

bool IsProtobuf(const std::string& content_type);
json DecodeKubeProtobuf(const std::string& body);

}  // namespace od::testkube
