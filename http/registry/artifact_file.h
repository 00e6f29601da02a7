#pragma once
// Opening a stored artifact for sending: `root/<key>` reached from the root without following
// any link (one openat2 with RESOLVE_NO_SYMLINKS, or one O_NOFOLLOW openat per segment), so a
// symbolic link planted anywhere below the root (a directory or the file itself) is refused
// instead of followed out of the storage tree.
// Only regular files are served. The root itself may be a link (a mounted volume).
// Thread affinity: any thread (plain syscalls; opening is cheap, the bytes go out later
// through sendfile).

#include <string_view>

#include "core/result.h"
#include "http/message.h"

namespace od::http {

// How the path is resolved: Auto uses one openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
// and falls back to the walk when the kernel lacks it; Walk always walks (tests both).
enum class ArtifactWalk { Auto, Walk };

// Errors: NotFound (no such file or directory on the way), Invalid (the key holds an empty,
// "." or ".." segment, or is empty), Permission (a symbolic link or something other than a
// regular file / directory on the way), Internal (any other open/stat failure, with errno's
// text).
core::Result<FileBody> openArtifact(std::string_view root, std::string_view key,
                                    ArtifactWalk walk = ArtifactWalk::Auto);

// Content-Type by file name: .zip → application/zip, .tar.gz/.tgz → application/gzip,
// anything else application/octet-stream.
std::string_view artifactContentType(std::string_view file_name);

// The answer that sends `root/<key>` (openArtifact): 200 with the file as body, Content-Type
// by `file_name` and Cache-Control no-store; 404 when the file is missing from storage, 500
// when it cannot be read (the registry error shape; storage paths are not disclosed).
Response artifactResponse(std::string_view root, std::string_view key, std::string_view file_name);

}  // namespace od::http
