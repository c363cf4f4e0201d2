"""The upload form of threat-intelligence feeds."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from tinhso.soc.intel.service import MAX_FEED_NAME

# Feeds of a few hundred thousand indicators fit; larger files belong on the command line.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

FORMAT_CHOICES = [
    ("auto", _("Recognise from the content")),
    ("list", _("Plain list, one value per line")),
    ("csv", _("CSV table with a header row")),
    ("stix", _("STIX 2.1 bundle (JSON)")),
]


class FeedImportForm(forms.Form):
    name = forms.CharField(
        label=_("Feed name"),
        max_length=MAX_FEED_NAME,
        help_text=_("A feed imported again under the same name has its indicators replaced."),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A list of IP addresses, domains, URLs and MD5/SHA-1/SHA-256 hashes, a CSV table "
            "with a value column, or a STIX 2.1 bundle; at most 20 MB."
        ),
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="auto")

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file has %(size)s bytes; the limit is %(limit)s. Import it with "
                  "tinhso soc intel import instead."),
                params={"size": upload.size, "limit": MAX_UPLOAD_BYTES},
                code="too_large",
            )  # fmt: skip
        return upload
