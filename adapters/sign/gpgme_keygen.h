#pragma once
// A fresh provider signing key for `opendepot dev`, where nobody has a Secret to mount: an
// Ed25519 OpenPGP key that can sign, has no passphrase (what GpgmeSigner requires) and does not
// expire, made by GPGME in a private temporary GNUPGHOME that is removed afterwards.
// Thread affinity: any thread (blocking: runs gpg; about a second).

#include <string>
#include <string_view>

#include "core/result.h"

namespace od::adapters::sign {

// The ASCII-armored secret key (its public part included), for --gpg-key-file.
// Errors: Invalid for an empty user id; Internal when gpg cannot make or export the key.
core::Result<std::string> generateSigningKey(std::string_view user_id);

}  // namespace od::adapters::sign
