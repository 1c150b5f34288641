"""Sample lists to download from the import page, in CSV and XLSX: made from the import's own column
definitions (``COLUMNS``: their English labels as headings, their ``examples`` as two rows, the district
being the centre's), so that a sample cannot drift from what the import reads. They hold no one's data:
nothing is recorded when they are downloaded."""

import io

from flask import Response
from flask_babel import force_locale

from centres.models import Centre
from enrollments.imports.columns import COLUMNS
from oversight.export_files import MEDIA_TYPES, ListSource, Table, csv_chunks, write_xlsx


def sample_table(centre: Centre) -> Table:
    """The sample list for ``centre``: a heading row and two example trainees who live in its district."""
    with force_locale("en"):
        headings = [str(column.label) for column in COLUMNS]
    rows = [
        [centre.district.name if column.field == "district" else column.examples[index] for column in COLUMNS]
        for index in range(2)
    ]
    return Table(what="sample", title="Trainees", headings=headings, source=ListSource(rows))


def sample_file(centre: Centre, fmt: str) -> Response:
    """The sample list for ``centre`` as a CSV or XLSX download (``markaz-import-sample.csv``)."""
    table = sample_table(centre)
    if fmt == "csv":
        content = b"".join(csv_chunks(table))
    else:
        buffer = io.BytesIO()
        write_xlsx(table, buffer)
        content = buffer.getvalue()
    response = Response(content, mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Type"] = MEDIA_TYPES[fmt]
    response.headers.set("Content-Disposition", "attachment", filename=f"markaz-import-sample.{fmt}")
    return response
