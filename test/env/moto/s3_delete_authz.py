"""S3's Multi-Object Delete authorized per key, as S3 does, for a moto that enforces IAM policies.

S3 answers DeleteObjects by deciding s3:DeleteObject for each key (a role allowed one prefix deletes its keys
and gets AccessDenied for the others, in the response). moto 5.2 decides it once, on the bucket's ARN, and
refuses every key when that is denied; so a role scoped to a prefix could not apply retention here though it
can on S3. Installed before the server starts: where moto's bucket-level check refused, each key is checked
on its own ARN and the refused ones are answered as S3 does.
"""

from xml.sax.saxutils import escape

import xmltodict
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.responses import S3Response


def install() -> None:
    original = S3Response._bucket_response_delete_keys

    def delete_keys(self, bucket_name, authenticated=True):  # type: ignore[no-untyped-def]
        if authenticated:
            return original(self, bucket_name, authenticated)
        body = xmltodict.parse(self.body, strip_whitespace=False)
        objects = body["Delete"].get("Object", [])
        if not isinstance(objects, list):
            objects = [objects]
        allowed, denied = [], []
        for obj in objects:
            try:
                self._authenticate_and_authorize_s3_action(bucket_name=bucket_name, key_name=obj["Key"])
                allowed.append(obj)
            except S3AccessDeniedError:
                denied.append(obj["Key"])
        if not allowed:
            return original(self, bucket_name, False)
        self.body = xmltodict.unparse({"Delete": {**body["Delete"], "Object": allowed}}).encode()
        status, headers, xml = original(self, bucket_name, True)
        errors = "".join(
            f"<Error><Key>{escape(k)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
            for k in denied
        )
        text = xml.decode() if isinstance(xml, bytes) else xml
        return status, headers, text.replace("</DeleteResult>", f"{errors}</DeleteResult>")

    S3Response._bucket_response_delete_keys = delete_keys
