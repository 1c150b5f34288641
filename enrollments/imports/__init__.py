"""Bulk import of trainees from the lists partner universities and NGOs send (CSV or XLSX), optionally
registering them all into one cohort of the centre (DESIGN.md, "Input people will really type").

The flow, as staff see it (``pages``):

1. **Upload** (``import_upload``): staff of the centre (or an admin) choose a file and, optionally, one of
   the centre's cohorts taking applications (``forms.ImportUploadForm``). The file is read and checked
   before the request starts writing (``batches.preview_upload``), so that reading it, however long it
   takes, holds no lock; then ``batches.stage_import`` keeps it, with its preview, as an ``ImportBatch``
   (``models``): the app keeps no state in its processes, so the upload waits in the database.
2. **Preview** (``import_batch``): the batch's stored report — counts, the problems by spreadsheet row and
   column, the rows that will be imported — paged, read without reading the file again.
3. **Confirm** (``import_confirm``): ``batches.confirm_import``, within a day of the upload, by its
   uploader or an admin, once. The stored file is read before the request writes, checked again against
   the data as it is now, then every valid row's record is created and, with a cohort, all are registered
   in file order (``enrollments.services.register_many``) in the request's transaction. A row the
   enrollment rules refuse at that point is reported with the others that had problems; a refusal about
   the whole list, like any other error, rolls back everything.

Reading a file, the bottom of the package, touches no table:

- ``limits``: the limits no file can push past (rows, cells, sizes), and ``ImportRefused``, the refusal
  of a file as a whole;
- ``xlsx``: the first sheet of a workbook, streamed and counted within those limits (not by openpyxl);
- ``reading``: ``read_sheet``, any file (XLSX, or CSV in the encodings and separators Excel writes) as
  rows of raw cells under its heading, its columns found by ``columns`` (headings in English or Urdu).

Then the rows are checked, reading the database in bulk and writing nothing:

- ``cells``: each cell read into a value of the record (CNIC, gender, date of birth...) or refused with
  a message saying what to write;
- ``districts``: the district a row names;
- ``checks``: ``check_rows``, every row checked, problems listed per row and column, the cohort's rules
  applied to each.

``batches`` writes: the batch, its confirmation, and through the trainee and enrollment services the
records and places. Nothing in the package commits: the pages do, once per request.
"""
