#pragma once
// Opening a stored artifact for sending: `root/<key>` reached one path segment at a time
// from the root with O_NOFOLLOW, so a symbolic link planted anywhere below the root (a
// directory or the file itself) is refused instead of followed out of the storage tree.
// Only regular files are served. The root itself may be a link (a mounted volume).
// Thread affinity: any thread (plain syscalls; opening is cheap, the bytes go out later
// through sendfile).

#include <string_view>

#include "core/result.h"
#include "http/message.h"

namespace od::http {

// Errors: NotFound (no such file or directory on the way), Invalid (the key holds an empty,
// "." or ".." segment, or is empty), Permission (a symbolic link or something other than a
// regular file / directory on the way), Internal (any other open/stat failure, with errno's
// text).
core::Result<FileBody> openArtifact(std::string_view root, std::string_view key);

// Content-Type by file name: .zip → application/zip, .tar.gz/.tgz → application/gzip,
// anything else application/octet-stream.
std::string_view artifactContentType(std::string_view file_name);

}  // namespace od::http
