"""Strings of upload bounds and of input refused before it reaches storage (control characters, bad encodings)."""

STRINGS: dict[str, tuple[str, str]] = {
    "upload.err.too_big": ("文件过大（{size} MB），此类文件最大 {limit} MB。请拆分后分批上传。",
                           "The file is too large ({size} MB); this kind of file may be at most {limit} MB. "
                           "Split it and upload the parts one by one."),
    "upload.err.unpacked_too_big": ("该 Excel 文件解压后达 {size} MB，超过上限 {limit} MB，未读取。请拆分文件，"
                                    "或另存为 CSV（UTF-8 或 GBK）后上传。",
                                    "This Excel file unpacks to {size} MB, above the limit of {limit} MB, and was not "
                                    "read. Split it, or save it as CSV (UTF-8 or GBK) and upload that."),
    "upload.err.zip_ratio": ("该 Excel 文件的压缩比异常（{ratio} 倍，上限 {limit} 倍），疑似恶意文件，未读取。"
                             "请在 Excel 中另存为新文件后重试。",
                             "This Excel file is compressed {ratio} times (at most {limit} allowed), as a zip bomb "
                             "is; it was not read. Save it as a new file in Excel and try again."),
    "upload.err.too_many_rows": ("文件行数超过上限 {limit} 行，未导入。请拆分后分批上传（Excel 文件较大时可另存为 CSV）。",
                                 "The file has more than {limit} rows and was not imported. Split it and upload the "
                                 "parts one by one (a large Excel file can be saved as CSV)."),
    "upload.err.too_many_columns": ("文件列数超过上限 {limit} 列，未导入。请删除多余的列后重试。",
                                    "The file has more than {limit} columns and was not imported. Delete the columns "
                                    "not needed and try again."),
    "upload.err.too_many_cells": ("文件中的单元格超过上限 {limit} 个，未导入。请拆分文件，或另存为 CSV 后上传。",
                                  "The file has more than {limit} cells and was not imported. Split it, or save it as "
                                  "CSV and upload that."),
    "upload.err.not_utf8": ("文件不是有效的 UTF-8 文本（第 {line} 行），未导入。请在编辑器中以 UTF-8 编码另存后重试。",
                            "The file is not valid UTF-8 text (line {line}) and was not imported. Save it as UTF-8 "
                            "in your editor and try again."),
    "upload.running": ("正在处理…… {percent}%（可在此页等待，或取消）", "Working… {percent}% (wait on this page, or cancel)"),
    "upload.waiting": ("正在排队：另一项导入完成后开始。", "Queued: starts when another import has finished."),
    "upload.cancel": ("取消导入", "Cancel the import"),
    "upload.cancelling": ("正在取消……", "Cancelling…"),
    "upload.cancelled": ("导入已取消，未写入任何数据。重新选择文件可再次开始。",
                         "The import was cancelled; nothing was written. Choose the file again to start over."),
    "registry.err.too_long": ("内容过长（字数/上限见右侧），请精简后重新导入", "Too long (length/limit on the right): shorten it and import again"),
    "registry.err.control_char": ("含有空字符（NUL）或其他控制字符，请删除后重新导入",
                                  "Contains a NUL or another control character: remove it and import again"),
}
