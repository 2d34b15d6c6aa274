"""The generator writes the same bytes for a seed on every supported Python.

CI runs this on 3.10-3.13. The digest below was taken from the lock's versions
(requirements/lock.txt: Faker 40.54.0 everywhere; numpy 2.2.6 on 3.10, 2.4.6 on
3.11+, whose PCG64 streams and the Generator methods the generator uses give the
same numbers). Only `_manifest.json` differs between Pythons, by the versions it
records. A new Faker or numpy in the lock may change the data: then check the
README's statement on it and take the new digest from this test's message.
"""

import hashlib
import json

from datagen import cli
from tests.helpers import all_files

ARGS = ["--orders", "3000", "--customers", "300", "--clicks", "6000", "--seed", "11",
        "--parts", "2", "--end-date", "2025-06-30", "--anomaly", "2025-06-20:3.0",
        "--fraud-actors", "2"]
DIGEST = "675f77c636e2101bca13995f093834a159c2735fdc51cd8c84a6aacbcc30029f"


def test_same_seed_same_bytes_on_every_python(tmp_path):
    root = tmp_path / "data"
    assert cli.main(["--out", str(root), "--quiet", *ARGS]) == 0
    files = all_files(root)
    manifest = json.loads(files.pop("_manifest.json"))
    versions = manifest.pop("versions")
    assert set(versions) == {"python", "numpy", "faker"}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    digest.update(json.dumps(manifest, sort_keys=True).encode())
    assert digest.hexdigest() == DIGEST, (
        f"generated data changed (Python {versions['python']}, numpy {versions['numpy']}, "
        f"Faker {versions['faker']}): digest {digest.hexdigest()}; "
        f"files: {sorted(files)}")
