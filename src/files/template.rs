//! The import template: the Chinese header row and one example row built from the caller's own
//! department, category and people, so that it imports as it stands (the page tells the user
//! to replace it). Without a department in reach that has both, the template is the header alone.

use super::{Format, TEMPLATE_COLUMNS, UTF8_BOM};
use crate::db::org::TemplateExample;
use rust_xlsxwriter::{Workbook, XlsxError};

/// The example row's cells, in the template's column order.
pub fn example_cells(example: &TemplateExample) -> Vec<String> {
    // A quantity asset where the category takes one, else an item (count 1).
    let quantity = example.class != Some(1);
    TEMPLATE_COLUMNS
        .iter()
        .map(|c| {
            let cell = match c.field {
                "name" if quantity => "办公椅",
                "name" => "笔记本电脑",
                "assetClass" if quantity => "数量型",
                "assetClass" => "条目型",
                "price" if quantity => "120.50",
                "price" => "6999.00",
                "count" if quantity => "10",
                "count" => "1",
                "deadline" => "5",
                "assetTree" => &example.category,
                "description" if quantity => "人体工学椅",
                "description" => "研发用",
                "position" => "A座301",
                "user" => &example.user,
                "department" => &example.department,
                // Blank: today (a past day would depreciate the example at once).
                _ => "",
            };
            cell.to_owned()
        })
        .collect()
}

/// The template as a file: the header, and the example row when there is one.
pub fn template(format: Format, example: Option<&TemplateExample>) -> Result<Vec<u8>, String> {
    let example = example.map(example_cells);
    let failed = |e: &dyn std::fmt::Display| format!("生成模板失败：{e}");
    match format {
        Format::Csv => {
            let mut out = UTF8_BOM.to_vec();
            let mut writer = csv::Writer::from_writer(&mut out);
            writer
                .write_record(TEMPLATE_COLUMNS.iter().map(|c| c.header))
                .map_err(|e| failed(&e))?;
            if let Some(cells) = &example {
                writer.write_record(cells).map_err(|e| failed(&e))?;
            }
            writer.flush().map_err(|e| failed(&e))?;
            drop(writer);
            Ok(out)
        }
        Format::Xlsx => {
            let build = || -> Result<Vec<u8>, XlsxError> {
                let mut workbook = Workbook::new();
                let header = rust_xlsxwriter::Format::new().set_bold();
                let money = rust_xlsxwriter::Format::new().set_num_format("0.00");
                let sheet = workbook.add_worksheet();
                sheet.set_freeze_panes(1, 0)?;
                for (col, column) in TEMPLATE_COLUMNS.iter().enumerate() {
                    let col = col as u16;
                    sheet.set_column_width(col, column.width)?;
                    sheet.write_string_with_format(0, col, column.header, &header)?;
                    let Some(cell) = example.as_ref().map(|cells| cells[col as usize].as_str())
                    else {
                        continue;
                    };
                    // Numbers as numbers, so Excel does not flag "number stored as text".
                    match cell.parse::<f64>() {
                        Ok(n) if column.field == "price" => {
                            sheet.write_number_with_format(1, col, n, &money)?
                        }
                        Ok(n) if column.numeric => sheet.write_number(1, col, n)?,
                        _ => sheet.write_string(1, col, cell)?,
                    };
                }
                workbook.save_to_buffer()
            };
            build().map_err(|e| failed(&e))
        }
    }
}
